import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat

/// Counts and times every request (outermost, so it sees the status code the
/// client gets, errors included).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServingMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let route = { () -> String in
            guard let path = context.endpointPath, path != "NotFound" else { return "unmatched" }
            return path
        }
        do {
            let response = try await next(request, context)
            metrics.recordRequest(route: route(), code: response.status.code, duration: started.duration(to: .now))
            return response
        } catch {
            metrics.recordRequest(route: route(), code: 500, duration: started.duration(to: .now))
            throw error
        }
    }
}

/// Turns every error into the protocol's `{"error": message}` body with its
/// status: `InferenceError`s as they are, Hummingbird's own (no route: 404),
/// and anything else as a 500 that is logged, never shown in detail.
struct ProtocolErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as InferenceError {
            return Self.response(for: error)
        } catch let error as HTTPError {
            let message: String
            switch error.status {
            case .notFound: message = "no route for \(request.method) \(request.uri.path)"
            case .contentTooLarge: message = "the request body is too large"
            default: message = error.body ?? error.status.reasonPhrase
            }
            return Self.response(status: error.status, message: message)
        } catch is NIOTooManyBytesError {
            return Self.response(status: .contentTooLarge, message: "the request body is too large")
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Self.response(for: InferenceError(.internalError, "internal error"))
        }
    }

    static func response(for error: InferenceError) -> Response {
        var response = response(status: error.status, message: error.message)
        if error.code == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }

    static func response(status: HTTPResponse.Status, message: String) -> Response {
        // Encoding a struct of one string cannot fail.
        let body = (try? JSONEncoder().encode(OpenInferenceProtocol.ErrorResponse(error: message))) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: body)))
    }
}

/// Requires `Authorization: Bearer <token>` on every path but `openPaths`
/// (the health probes, which a kubelet calls without credentials).
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    let openPaths: Set<String>

    init(token: String, openPaths: Set<String>) {
        self.token = Array(token.utf8)
        self.openPaths = openPaths
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw InferenceError(.unauthorized, "this server requires a bearer token: send the header Authorization: Bearer <token>")
        }
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count, bytes[0..<scheme.count].map({ $0 | 0x20 }) == scheme.map({ $0 | 0x20 }),
              Self.constantTimeEqual(Array(bytes[scheme.count...]), token) else {
            throw InferenceError(.unauthorized, "the bearer token is not valid for this server")
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference (the time depends on the lengths only).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
