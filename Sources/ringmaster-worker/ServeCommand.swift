import ArgumentParser
import Foundation
import Logging
import Serving

/// `ringmaster-worker serve`: see `InferenceServer`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serves a trained model.safetensors over the Open Inference Protocol V2 (REST), with Prometheus metrics.",
        discussion: """
        Routes: GET /v2, /v2/health/live, /v2/health/ready, /v2/models/NAME, /v2/models/NAME/ready,
        POST /v2/models/NAME/infer (also under /v2/models/NAME/versions/1/...), GET /metrics.
        Input: one FP32 or UINT8 tensor of shape [N, features] (or [N, 28, 28] for 784 features); UINT8
        values are pixels, divided by 255 as the trainer reads images. Outputs: "probabilities" (FP32,
        [N, classes]) and "class" (INT64, [N]).

        Without --token-file the server authenticates no one and binds 127.0.0.1 unless --host says
        otherwise. With it, every route but the two health probes needs Authorization: Bearer <token>.
        SIGTERM or SIGINT stops accepting connections, finishes the requests in flight, and exits 0.
        Exit code 20: the model file or an option is invalid.
        """)

    @Option(name: .long, help: "The model file the trainer wrote (model.safetensors).")
    var model: String

    @Option(name: .long, help: "The name to serve the model by (default: the file's name without its extension).")
    var modelName: String?

    @Option(name: .long, help: "The address to bind (default: 127.0.0.1; 0.0.0.0 with --token-file).")
    var host: String?

    @Option(name: .long, help: "The port to listen on.")
    var port: Int = 8080

    @Option(name: .long, help: "A file holding the bearer token callers must send (e.g. a mounted Secret's key).")
    var tokenFile: String?

    @Option(name: .long, help: "The most samples run as one forward pass.")
    var maxBatchSize: Int = 64

    @Option(name: .long, help: "The longest, in microseconds, a request waits for others to join its batch (0: never).")
    var maxBatchDelayMicroseconds: Int = 500

    @Option(name: .long, help: "Request bodies larger than this many bytes get 413.")
    var maxRequestBytes: Int = 16 << 20

    @Option(name: .long, help: "OpenBLAS threads per forward pass.")
    var blasThreads: Int = 1

    func run() async throws {
        WorkerCommand.bootstrapLogging()
        var base = Logger(label: "ringmaster-worker")
        base[metadataKey: "component"] = "serve"
        let logger = base
        let settings: (file: ModelFile, configuration: InferenceServer.Configuration)
        do {
            settings = try resolve()
        } catch {
            logger.error("cannot serve", metadata: ["reason": "\(error)"])
            throw ExitCode(20)
        }
        let (file, configuration) = settings
        InferenceServer.setBLASThreads(blasThreads)
        let server = InferenceServer(model: file.model, configuration: configuration, logger: logger)
        logger.info(
            "serving model",
            metadata: [
                "model": "\(configuration.modelName)", "path": "\(file.path)", "architecture": "\(file.model.architecture)",
                "layers": "\(file.model.summary)", "host": "\(configuration.host)", "port": "\(configuration.port)",
                "authentication": "\(configuration.token == nil ? "none" : "bearer token")",
                "maxBatchSize": "\(configuration.batching.maxBatchSize)",
                "maxBatchDelayMicroseconds": "\(maxBatchDelayMicroseconds)",
            ])
        if configuration.token == nil {
            let scope = ["127.0.0.1", "localhost", "::1"].contains(configuration.host) ? "on this machine" : "that reaches \(configuration.host)"
            logger.warning("unauthenticated: no --token-file, so any process \(scope) can call this server")
        }
        try await server.run { port in
            logger.info("listening", metadata: ["address": "http://\(configuration.host):\(port)/v2/models/\(configuration.modelName)"])
        }
        logger.info("server stopped")
    }

    /// The model and the server's settings, or an error naming the option at fault.
    func resolve() throws -> (ModelFile, InferenceServer.Configuration) {
        guard (0...65535).contains(port) else { throw ServeOptionError("--port must be in 0...65535, got \(port)") }
        guard maxBatchSize >= 1 else { throw ServeOptionError("--max-batch-size must be at least 1, got \(maxBatchSize)") }
        guard maxBatchDelayMicroseconds >= 0 else {
            throw ServeOptionError("--max-batch-delay-microseconds must not be negative, got \(maxBatchDelayMicroseconds)")
        }
        guard maxRequestBytes >= 1024 else { throw ServeOptionError("--max-request-bytes must be at least 1024, got \(maxRequestBytes)") }
        guard blasThreads >= 1 else { throw ServeOptionError("--blas-threads must be at least 1, got \(blasThreads)") }
        var token: String?
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw ServeOptionError("--token-file \(tokenFile): the file does not exist or cannot be read")
            }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, !text.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw ServeOptionError("--token-file \(tokenFile): the file must hold one token without spaces")
            }
            token = text
        }
        if let modelName {
            guard !modelName.isEmpty, modelName.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ServeOptionError("--model-name must be letters, digits, '-', '_' or '.', got \"\(modelName)\"")
            }
        }
        let file = try ModelFile.load(path: model)
        let configuration = InferenceServer.Configuration(
            host: host ?? (token == nil ? "127.0.0.1" : "0.0.0.0"), port: port, modelName: modelName ?? file.defaultName,
            token: token, maxRequestBytes: maxRequestBytes,
            batching: .init(maxBatchSize: maxBatchSize, maxDelay: .microseconds(maxBatchDelayMicroseconds)))
        return (file, configuration)
    }
}

/// An option `serve` cannot use.
struct ServeOptionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
