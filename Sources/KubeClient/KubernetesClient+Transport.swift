import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// One request as the verbs describe it, before the transport adds the
/// server, credentials, limits and retries.
struct APIRequest: Sendable {
    var method: HTTPMethod
    var verb: String
    var descriptor: ResourceDescriptor
    var namespace: String?
    var name: String?
    var subresource: String?
    var query: [(String, String)] = []
    var body: Data?
    var contentType: String?
    var accept: String = "application/json"
    /// Whether 429/5xx answers may be retried (GET and PUT).
    var retryable: Bool { method == .GET || method == .PUT }

    var path: String {
        var path = descriptor.group.isEmpty ? "/api/\(descriptor.version)" : "/apis/\(descriptor.group)/\(descriptor.version)"
        if descriptor.namespaced, let namespace { path += "/namespaces/\(Self.escape(namespace))" }
        path += "/\(descriptor.plural)"
        if let name { path += "/\(Self.escape(name))" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    var pathTemplate: String {
        var path = descriptor.group.isEmpty ? "/api/\(descriptor.version)" : "/apis/\(descriptor.group)/\(descriptor.version)"
        if descriptor.namespaced, namespace != nil { path += "/namespaces/{namespace}" }
        path += "/\(descriptor.plural)"
        if name != nil { path += "/{name}" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    static let unreserved: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}

extension KubernetesClient {
    /// Sends `request` and collects the whole answer body.
    ///
    /// - Returns: the body of a 2xx answer.
    /// - Throws: `KubernetesAPIError` for non-2xx answers (after retries),
    ///   `KubeClientError` for transport failures and timeouts.
    func send(_ request: APIRequest) async throws -> ByteBuffer {
        try await perform(request, streaming: false).body
    }

    /// Sends `request` and returns the answer as soon as its head arrived
    /// (2xx only), for streaming reads such as watches and followed logs.
    func open(_ request: APIRequest, deadline: Duration?) async throws -> HTTPClientResponse {
        try await perform(request, streaming: true, streamDeadline: deadline).response!
    }

    private func perform(
        _ request: APIRequest, streaming: Bool, streamDeadline: Duration? = nil
    ) async throws -> (body: ByteBuffer, response: HTTPClientResponse?) {
        try validate(request)
        var attempt = 0
        var reauthenticated = false
        var staleConnectionRetries = 0
        while true {
            try Task.checkCancellation()
            if let limiter { try await limiter.acquire() }
            var http = HTTPClientRequest(url: url(for: request))
            http.method = request.method
            let credential = try await credentials.current(tls: tlsConfiguration)
            http.tlsConfiguration = credential.tlsConfiguration ?? tlsConfiguration
            http.headers.add(name: "Accept", value: request.accept)
            http.headers.add(name: "User-Agent", value: options.userAgent)
            if let authorization = credential.authorization {
                http.headers.add(name: "Authorization", value: authorization)
            }
            if let body = request.body {
                http.headers.add(name: "Content-Type", value: request.contentType ?? "application/json")
                http.body = .bytes(ByteBuffer(data: body))
            }
            let timeout = streaming ? (streamDeadline ?? .seconds(365 * 24 * 3600)) : options.requestTimeout
            let deadline = NIODeadline.now() + TimeAmount.nanoseconds(nanoseconds(timeout))

            let response: HTTPClientResponse
            var body = ByteBuffer()
            do {
                response = try await self.http.execute(http, deadline: deadline, logger: nil)
                if !streaming || !(200..<300).contains(Int(response.status.code)) {
                    body = try await response.body.collect(upTo: 256 * 1024 * 1024)
                }
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout
                        || error == .connectTimeout {
                record(request, code: nil)
                throw KubeClientError(.timeout,
                    "\(request.method.rawValue) \(request.path) got no complete answer within \(timeout)", underlying: error)
            } catch is CancellationError {
                record(request, code: nil)
                throw CancellationError()
            } catch {
                record(request, code: nil)
                if Task.isCancelled { throw CancellationError() }
                if let channelError = error as? ChannelError, channelError == .ioOnClosedChannel, staleConnectionRetries < 3 {
                    // The pooled connection was closed by the server before the request
                    // could be written: nothing reached the server, so any verb may be resent.
                    staleConnectionRetries += 1
                    continue
                }
                if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
                    throw tlsFailure(request, error, presentedCertificate: http.tlsConfiguration?.privateKey != nil)
                }
                throw KubeClientError(.transport, "\(request.method.rawValue) \(request.path) failed", underlying: error)
            }
            let code = Int(response.status.code)
            record(request, code: code)
            if (200..<300).contains(code) {
                return (body, streaming ? response : nil)
            }
            let error = apiError(code: code, headers: response.headers, body: body)
            if code == 401 && !reauthenticated {
                // A rotated token or an expired exec credential: read it again, once.
                reauthenticated = true
                await credentials.invalidate()
                continue
            }
            let retriable = code == 429 || [500, 502, 503, 504].contains(code)
            if retriable && request.retryable && attempt < options.maxRetries {
                let delay = retryDelay(attempt: attempt, retryAfter: error.retryAfter)
                logger.debug("retrying after server answer", metadata: [
                    "method": "\(request.method.rawValue)", "path": "\(request.path)", "code": "\(code)",
                    "attempt": "\(attempt + 1)", "delay": "\(delay)",
                ])
                attempt += 1
                try await options.clock.sleep(for: delay)
                continue
            }
            throw error
        }
    }

    private func validate(_ request: APIRequest) throws {
        if let name = request.name, name.isEmpty || name == "." || name == ".." || name.contains("/") {
            throw KubeClientError(.invalidRequest, "\"\(name)\" is not a valid object name")
        }
        if request.descriptor.namespaced, request.name != nil, request.namespace == nil {
            throw KubeClientError(.invalidRequest, "\(request.descriptor.kind) is namespaced: a namespace is required")
        }
        if let namespace = request.namespace, namespace.isEmpty || namespace.contains("/") {
            throw KubeClientError(.invalidRequest, "\"\(namespace)\" is not a valid namespace")
        }
    }

    /// A TLS failure explained: which side refused what.
    private func tlsFailure(_ request: APIRequest, _ error: any Error, presentedCertificate: Bool) -> KubeClientError {
        let detail = String(describing: error)
        let reason: String
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            let name = URLComponents(string: baseURL)?.host ?? baseURL
            reason = "the server's certificate is not valid for the name \(name) (set tls-server-name in the kubeconfig "
                + "to the name the certificate carries)"
        } else if detail.contains("CERTIFICATE_VERIFY_FAILED") {
            reason = "the server's certificate could not be verified against the configured certificate authority"
        } else if detail.contains("CERTIFICATE_REQUIRED") || (!presentedCertificate && detail.contains("ALERT_HANDSHAKE_FAILURE")) {
            reason = presentedCertificate
                ? "the server asked for a client certificate and did not accept the one presented"
                : "the server requires a client certificate, and no client certificate was presented"
        } else if presentedCertificate && detail.contains("_ALERT_") {
            reason = "the server rejected the client certificate"
        } else {
            reason = "the TLS connection failed"
        }
        return KubeClientError(.tls, "TLS with \(baseURL) failed for \(request.method.rawValue) \(request.path): \(reason)",
                               underlying: error)
    }

    /// The delay before retry number `attempt + 1`: the server's Retry-After
    /// if it sent one, else exponential backoff; both capped at `maxRetryDelay`.
    func retryDelay(attempt: Int, retryAfter: Int?) -> Duration {
        if let retryAfter, retryAfter >= 0 {
            return min(.seconds(retryAfter), options.maxRetryDelay)
        }
        let factor = 1 << min(attempt, 30)
        return min(options.retryBaseDelay * factor, options.maxRetryDelay)
    }

    func url(for request: APIRequest) -> String {
        var url = baseURL + request.path
        if !request.query.isEmpty {
            url += "?" + request.query.map { "\(APIRequest.escape($0.0))=\(APIRequest.escape($0.1))" }
                .joined(separator: "&")
        }
        return url
    }

    func apiError(code: Int, headers: HTTPHeaders, body: ByteBuffer) -> KubernetesAPIError {
        let retryAfter = headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if let status = try? JSONDecoder().decode(Status.self, from: body), status.kind == "Status" || status.reason != nil {
            return KubernetesAPIError(status: status, httpCode: code, retryAfterHeader: retryAfter)
        }
        let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
        return KubernetesAPIError(
            code: code, reason: KubernetesAPIError.defaultReason(for: code),
            message: text.isEmpty ? "the server answered \(code)" : String(text.prefix(2000)),
            retryAfter: retryAfter)
    }

    private func record(_ request: APIRequest, code: Int?) {
        Counter(label: "rest_client_requests_total", dimensions: [
            ("code", code.map(String.init) ?? "<error>"), ("method", request.method.rawValue),
        ]).increment()
        options.requestObserver?(RequestRecord(
            method: request.method.rawValue, verb: request.verb, group: request.descriptor.group,
            version: request.descriptor.version, resource: request.descriptor.plural,
            subresource: request.subresource, pathTemplate: request.pathTemplate,
            namespace: request.descriptor.namespaced ? request.namespace : nil, statusCode: code))
    }
}

func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return Int64.max / 2 }
    return product + attoseconds / 1_000_000_000
}
