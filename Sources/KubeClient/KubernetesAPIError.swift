/// An answer from the API server that is not a success: the server's
/// `metav1.Status` (or, for servers that send none, one made from the HTTP
/// status line), with the `Retry-After` the server asked for.
public struct KubernetesAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status code.
    public var code: Int
    /// `metav1.Status.reason`, e.g. `NotFound`, `Conflict`, `Expired`.
    public var reason: String
    public var message: String
    public var details: StatusDetails?
    /// Seconds the server asked us to wait (the `Retry-After` header or `details.retryAfterSeconds`).
    public var retryAfter: Int?
    /// The full status as sent, when the body was one.
    public var status: Status?

    public init(code: Int, reason: String, message: String, details: StatusDetails? = nil,
                retryAfter: Int? = nil, status: Status? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
        self.status = status
    }

    /// Makes the error from a decoded `Status`, filling gaps from the HTTP code.
    public init(status: Status, httpCode: Int, retryAfterHeader: Int? = nil) {
        let code = Int(status.code ?? Int32(httpCode))
        self.init(
            code: code,
            reason: status.reason ?? Self.defaultReason(for: code),
            message: status.message ?? "the server answered \(code)",
            details: status.details,
            retryAfter: retryAfterHeader ?? status.details?.retryAfterSeconds.map(Int.init),
            status: status)
    }

    public var isNotFound: Bool { reason == "NotFound" || (code == 404 && reason.isEmpty) }
    public var isAlreadyExists: Bool { reason == "AlreadyExists" }
    /// A resourceVersion precondition failed (HTTP 409, reason `Conflict`).
    public var isConflict: Bool { reason == "Conflict" || (code == 409 && reason != "AlreadyExists") }
    /// The requested resourceVersion is too old (HTTP 410, reasons `Gone` or `Expired`).
    public var isGone: Bool { code == 410 || reason == "Gone" || reason == "Expired" }
    public var isInvalid: Bool { reason == "Invalid" || code == 422 }
    public var isTooManyRequests: Bool { reason == "TooManyRequests" || code == 429 }
    public var isForbidden: Bool { reason == "Forbidden" || code == 403 }
    public var isUnauthorized: Bool { reason == "Unauthorized" || code == 401 }
    /// A 5xx answer, or a server-side timeout.
    public var isServerError: Bool { code >= 500 }

    public var description: String {
        "Kubernetes API error \(code) \(reason): \(message)"
    }

    static func defaultReason(for code: Int) -> String {
        switch code {
        case 400: return "BadRequest"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 405: return "MethodNotAllowed"
        case 406: return "NotAcceptable"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 415: return "UnsupportedMediaType"
        case 422: return "Invalid"
        case 429: return "TooManyRequests"
        case 500: return "InternalError"
        case 503: return "ServiceUnavailable"
        case 504: return "Timeout"
        default: return "Unknown"
        }
    }
}

/// A failure that is not an answer from the API server: the connection, the
/// configuration, credentials, or a body that does not decode.
public struct KubeClientError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Could not connect, or the connection failed mid-request.
        case transport
        /// No complete answer within the request timeout.
        case timeout
        /// The answer could not be decoded as the expected type.
        case decoding
        /// The request could not be built (bad name, bad URL, unencodable body).
        case invalidRequest
        /// Credentials could not be obtained (token file, exec plugin).
        case credentials
        /// The kubeconfig or in-cluster configuration is unusable.
        case configuration
        /// TLS failed: material (CA, client certificate or key) could not be
        /// loaded, or the handshake was refused (for example, the server
        /// requires a client certificate, or rejected the one presented).
        case tls
    }

    public var code: Code
    public var message: String
    public var underlying: String?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying.map { String(describing: $0) }
    }

    public var description: String {
        if let underlying { return "\(code.rawValue): \(message) (\(underlying))" }
        return "\(code.rawValue): \(message)"
    }
}
