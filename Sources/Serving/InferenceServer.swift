import COpenBLAS
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat

/// The inference server: one trained model served over the Open Inference
/// Protocol V2 (REST), with Prometheus metrics at `/metrics`.
///
/// Built on Hummingbird 2 rather than on the raw SwiftNIO pipeline the local
/// API server uses: a server of a few JSON routes is what Hummingbird's
/// router and middleware are for (the protocol's routes are a table, the
/// cross-cutting parts, errors, authentication and metrics, are middleware),
/// it streams request bodies with back-pressure so a size limit refuses a
/// huge body without buffering it, it shuts down gracefully (stops
/// accepting, finishes the requests in flight) as a swift-service-lifecycle
/// service, and its testing library drives the whole application in process.
/// The HTTP/1.1 parsing underneath is SwiftNIO's either way.
///
/// Requests are answered by `InferenceBatcher`, which runs concurrent
/// requests as one forward pass. With a token, every route but the health
/// probes requires `Authorization: Bearer <token>`.
public struct InferenceServer: Sendable {
    public struct Configuration: Sendable {
        /// The address to bind: 127.0.0.1 unless the server authenticates its callers.
        public var host: String
        public var port: Int
        /// The name the model is served by (`/v2/models/{name}`).
        public var modelName: String
        /// The one version served (`/v2/models/{name}/versions/{version}`).
        public var modelVersion: String
        /// The bearer token callers must send, or nil for none.
        public var token: String?
        /// Larger request bodies get 413 without being held in memory.
        public var maxRequestBytes: Int
        public var batching: InferenceBatcher.Configuration

        public init(
            host: String = "127.0.0.1", port: Int = 8080, modelName: String, modelVersion: String = "1", token: String? = nil,
            maxRequestBytes: Int = 16 << 20, batching: InferenceBatcher.Configuration = .init()
        ) {
            self.host = host
            self.port = port
            self.modelName = modelName
            self.modelVersion = modelVersion
            self.token = token
            self.maxRequestBytes = maxRequestBytes
            self.batching = batching
        }
    }

    /// The name and version `GET /v2` reports.
    public static let serverName = "ringmaster"
    public static let serverVersion = "0.1.0"
    /// Paths answered without a token.
    public static let openPaths: Set<String> = ["/v2/health/live", "/v2/health/ready"]
    /// The header of the binary tensor extension, which this server does not speak.
    static let binaryHeader = HTTPField.Name("Inference-Header-Content-Length")!

    public let model: any InferenceModel
    public let configuration: Configuration
    public let batcher: InferenceBatcher
    public let metrics: ServingMetrics
    public let signature: ModelSignature
    let logger: Logger

    public init(model: any InferenceModel, configuration: Configuration, metrics: ServingMetrics = ServingMetrics(), logger: Logger) {
        self.model = model
        self.configuration = configuration
        self.metrics = metrics
        self.signature = ModelSignature(model: model)
        self.logger = logger
        self.batcher = InferenceBatcher(model: model, configuration: configuration.batching) { metrics.recordBatch($0) }
    }

    /// The application: routes, middleware and the batcher as its service.
    /// `onServerRunning` gets the bound port (useful with port 0).
    public func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            services: [batcher],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting connections,
    /// finishes the requests in flight, answers what the batcher holds and returns.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await makeApplication(onServerRunning: onServerRunning).runService()
    }

    /// Sets the threads OpenBLAS uses for one forward pass (process-wide).
    public static func setBLASThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: ProtocolErrorMiddleware(logger: logger))
        if let token = configuration.token {
            router.add(middleware: BearerTokenMiddleware(token: token, openPaths: Self.openPaths))
        }
        router.get("/v2") { _, _ in
            try Self.json(OpenInferenceProtocol.ServerMetadataResponse(name: Self.serverName, version: Self.serverVersion, extensions: []))
        }
        router.get("/v2/health/live") { _, _ in try Self.json(OpenInferenceProtocol.ServerLiveResponse(live: true)) }
        router.get("/v2/health/ready") { _, _ in
            let ready = batcher.isAcceptingRequests
            return try Self.json(OpenInferenceProtocol.ServerReadyResponse(ready: ready), status: ready ? .ok : .serviceUnavailable)
        }
        router.get("/v2/models/:name") { _, context in try modelMetadata(context) }
        router.get("/v2/models/:name/versions/:version") { _, context in try modelMetadata(context) }
        router.get("/v2/models/:name/ready") { _, context in try modelReady(context) }
        router.get("/v2/models/:name/versions/:version/ready") { _, context in try modelReady(context) }
        router.post("/v2/models/:name/infer") { request, context in try await infer(request, context) }
        router.post("/v2/models/:name/versions/:version/infer") { request, context in try await infer(request, context) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        return router
    }

    /// Checks the `{name}` (and `{version}`, when given) of a model route.
    func requireModel(_ context: BasicRequestContext) throws(InferenceError) {
        let name = context.parameters.get("name") ?? ""
        guard name == configuration.modelName else {
            throw InferenceError(.notFound, "model \"\(name)\" is not served here; this server serves \"\(configuration.modelName)\"")
        }
        if let version = context.parameters.get("version"), version != configuration.modelVersion {
            throw InferenceError(
                .notFound, "model \"\(name)\" has no version \"\(version)\"; this server serves version \"\(configuration.modelVersion)\"")
        }
    }

    func modelMetadata(_ context: BasicRequestContext) throws -> Response {
        try requireModel(context)
        return try Self.json(OpenInferenceProtocol.ModelMetadataResponse(
            name: configuration.modelName, versions: [configuration.modelVersion], platform: "ringmaster_\(model.architecture)",
            inputs: signature.inputMetadata, outputs: signature.outputMetadata))
    }

    func modelReady(_ context: BasicRequestContext) throws -> Response {
        try requireModel(context)
        let ready = batcher.isAcceptingRequests
        return try Self.json(
            OpenInferenceProtocol.ModelReadyResponse(name: configuration.modelName, ready: ready), status: ready ? .ok : .serviceUnavailable)
    }

    func infer(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        try requireModel(context)
        batcher.requestArriving()
        let decoded: OpenInferenceProtocol.InferenceRequest
        let rows: Int
        let features: [Float]
        do {
            decoded = try await readRequest(request)
            let parsed = try signature.features(of: decoded)
            rows = parsed.rows
            features = parsed.features
        } catch {
            batcher.requestAbandoned()
            throw error
        }
        let logits = try await batcher.infer(features: features, rows: rows, announced: true)
        let response = OpenInferenceProtocol.InferenceResponse(
            modelName: configuration.modelName, modelVersion: configuration.modelVersion, id: decoded.id,
            outputs: signature.responseOutputs(logits: logits[...], rows: rows, requested: decoded.outputs))
        return try Self.json(response)
    }

    /// Reads and decodes the body, refusing a body over the limit (by its
    /// Content-Length before reading anything, else once the limit is
    /// passed), the binary tensor extension and anything that is not an
    /// inference request in JSON.
    func readRequest(_ request: Request) async throws -> OpenInferenceProtocol.InferenceRequest {
        let limit = configuration.maxRequestBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw InferenceError(.tooLarge, "the request body has \(length) bytes; this server accepts at most \(limit)")
        }
        if request.headers[Self.binaryHeader] != nil {
            throw InferenceError(
                .malformedRequest,
                "the binary tensor data extension (\(Self.binaryHeader)) is not supported; send the tensors as JSON \"data\"")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw InferenceError(.tooLarge, "the request body exceeds \(limit) bytes, the most this server accepts")
        }
        do {
            return try JSONDecoder().decode(OpenInferenceProtocol.InferenceRequest.self, from: body)
        } catch let error as DecodingError {
            throw InferenceError(.malformedRequest, Self.describe(error))
        }
    }

    /// A decoding error as one line naming the field (`inputs[0].shape: ...`).
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return text.isEmpty ? "body" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required field is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(Self.typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(Self.typeName(type)), got null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "malformed JSON: \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)"
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "malformed request: \(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Float.Type, is Double.Type: "a number"
        case is Int.Type: "an integer"
        case is Bool.Type: "a boolean"
        default:
            "\(type)".hasPrefix("Array") ? "an array" : "\(type)".hasPrefix("Dictionary") ? "an object" : "a value of type \(type)"
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}
