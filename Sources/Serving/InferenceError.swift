import HTTPTypes

/// An error the server answers with the protocol's `{"error": message}` body
/// and `status`. The message names the field at fault where there is one
/// (`inputs[0].shape: ...`).
public struct InferenceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, by kind; each kind has one HTTP status.
    public enum Code: String, Sendable, Hashable {
        /// The body is not JSON, or not an inference request.
        case malformedRequest
        /// The request is well-formed but its tensors do not fit the model.
        case invalidInput
        /// No such model, version or route.
        case notFound
        /// The body is larger than the server accepts.
        case tooLarge
        /// No or a wrong bearer token.
        case unauthorized
        /// The server is shutting down.
        case unavailable
        /// A method the route does not answer.
        case methodNotAllowed
        /// A content type other than JSON.
        case unsupportedMediaType
        /// A fault of the server, not of the request.
        case internalError
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var status: HTTPResponse.Status {
        switch code {
        case .malformedRequest, .invalidInput: .badRequest
        case .notFound: .notFound
        case .tooLarge: .contentTooLarge
        case .unauthorized: .unauthorized
        case .unavailable: .serviceUnavailable
        case .methodNotAllowed: .methodNotAllowed
        case .unsupportedMediaType: .unsupportedMediaType
        case .internalError: .internalServerError
        }
    }

    public var description: String { "\(status.code) \(code.rawValue): \(message)" }
}
