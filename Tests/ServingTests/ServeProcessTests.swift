import AsyncHTTPClient
import Collective
import Foundation
import NIOCore
import RingmasterTesting
import Serving
import Testing
import Training

/// `ringmaster-worker serve` as a real process: on a model the real
/// `ringmaster-worker` trained, against clients nobody here wrote, with bad
/// input, a 100 MB body, a token, and SIGTERM while a request is in flight.
@Suite(.serialized) struct ServeProcessTests {
    static let testLimit = 1_000

    /// Trains a small model with the real worker (one rank) and returns the
    /// artifact directory (`model.safetensors`, `metrics.json`).
    static func train(in directory: String) async throws -> String {
        let peer = try TCPCommunicator.freePorts(count: 1)[0]
        var variables = ProcessInfo.processInfo.environment
        for key in ["KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"] { variables[key] = nil }
        variables.merge([
            "RANK": "0", "WORLD_SIZE": "1", "RINGMASTER_PEERS": "127.0.0.1:\(peer)", "RINGMASTER_AUTH_TOKEN": "serve-test",
            "RINGMASTER_DATASET_SOURCE": "builtin", "RINGMASTER_DATASET_NAME": "fashion-mnist",
            "RINGMASTER_DATASET_TRAIN_LIMIT": "3000", "RINGMASTER_DATASET_TEST_LIMIT": "\(testLimit)",
            "RINGMASTER_HIDDEN_LAYERS": "64,32", "RINGMASTER_EPOCHS": "2", "RINGMASTER_BATCH_SIZE": "50",
            "RINGMASTER_LEARNING_RATE": "0.003", "RINGMASTER_OPTIMIZER": "adam", "RINGMASTER_SEED": "11",
            "RINGMASTER_CHECKPOINT_DIR": directory + "/checkpoints", "RINGMASTER_ARTIFACT_DIR": directory + "/artifacts",
            "RINGMASTER_TERMINATION_MESSAGE_PATH": directory + "/termination",
        ]) { $1 }
        let result = try await ProcessRunner.run(
            builtExecutable("ringmaster-worker"), [], environment: variables, timeout: .seconds(300))
        guard result.status == 0 else {
            throw ServerProcessError(message: "training failed (\(result.status)):\n\(result.standardError)")
        }
        return directory + "/artifacts"
    }

    /// The Fashion-MNIST test images the trainer evaluated on, as the pixels they were read from.
    static func testImages() throws -> (pixels: [[UInt8]], labels: [Int]) {
        let test = try DatasetLoader.builtin("fashion-mnist", testLimit: testLimit).load().test
        let pixels = (0..<test.count).map { row in
            test.features[(row * 784)..<((row + 1) * 784)].map { UInt8(($0 * 255).rounded()) }
        }
        return (pixels, test.labels.map(Int.init))
    }

    @Test func servedTestAccuracyIsTheTrainersAndStandardClientsAgree() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let artifacts = try await Self.train(in: directory)
        let metrics = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: artifacts + "/metrics.json"))) as? [String: Any])
        let trainerAccuracy = try #require(metrics["testAccuracy"] as? Double)
        let (pixels, labels) = try Self.testImages()
        #expect(pixels.count == Self.testLimit)

        let server = try await ServerProcess(model: artifacts + "/model.safetensors", arguments: ["--model-name", "fashion"], directory: directory)
        // The test set in requests of 50 images, 8 at a time, so that requests share batches.
        let correct = try await withThrowingTaskGroup(of: Int.self) { group in
            var next = 0
            var correct = 0
            func add() {
                guard next < pixels.count else { return }
                let range = next..<min(next + 50, pixels.count)
                next = range.upperBound
                let body = inferBody(datatype: "UINT8", shape: [range.count, 784], data: pixels[range].flatMap { $0.map(Double.init) })
                let expected = Array(labels[range])
                group.addTask {
                    let answer = try await server.post("/v2/models/fashion/infer", body: body)
                    guard answer.status == 200 else { throw ServerProcessError(message: "\(answer.status): \(answer.body)") }
                    let outputs = answer.json["outputs"] as? [[String: Any]] ?? []
                    let classes = outputs.first { $0["name"] as? String == "class" }?["data"] as? [Int] ?? []
                    return zip(classes, expected).filter { $0 == $1 }.count
                }
            }
            for _ in 0..<8 { add() }
            while let count = try await group.next() {
                correct += count
                add()
            }
            return correct
        }
        let served = Double(correct) / Double(Self.testLimit)
        #expect(correct == Int((trainerAccuracy * Double(Self.testLimit)).rounded()), "served \(served), trainer \(trainerAccuracy)")
        // Several requests shared a forward pass.
        let batches = try #require(try await server.metric("ringmaster_serving_batch_size_requests_count"))
        let requests = try #require(try await server.metric("ringmaster_serving_batch_size_requests_sum"))
        #expect(requests == Double(Self.testLimit / 50))
        #expect(batches <= requests)

        // KServe's and Triton's clients, on four test images.
        let model = try #require(try ModelFile.load(path: artifacts + "/model.safetensors").model as? MLPInferenceModel).model
        let sample = Array(pixels[0..<4])
        let expectedClasses = ModelSignature.argmax(
            trainerLogits(model, features: sample.flatMap { $0.map { Float($0) / 255 } }, rows: 4)[...], classCount: 10)
        let result = try await Self.conformance(server: server, model: "fashion", pixels: sample, directory: directory)
        let kserve = try #require(result["kserve"] as? [String: Any])
        #expect(kserve["live"] as? Bool == true)
        #expect(kserve["ready"] as? Bool == true)
        #expect(kserve["model_ready"] as? Bool == true)
        #expect(kserve["unknown_model_ready"] as? Bool == false)
        #expect(kserve["class"] as? [Int] == expectedClasses)
        #expect(kserve["probabilities_shape"] as? [Int] == [4, 10])
        let triton = try #require(result["triton"] as? [String: Any])
        #expect(triton["live"] as? Bool == true)
        #expect(triton["ready"] as? Bool == true)
        #expect(triton["model_ready"] as? Bool == true)
        #expect((triton["server_metadata"] as? [String: Any])?["name"] as? String == "ringmaster")
        let metadata = try #require(triton["model_metadata"] as? [String: Any])
        #expect(metadata["name"] as? String == "fashion")
        #expect((metadata["inputs"] as? [[String: Any]])?.first?["shape"] as? [Int] == [-1, 784])
        #expect(triton["image_class"] as? [Int] == expectedClasses)
        #expect(triton["fp32_class"] as? [Int] == expectedClasses)
        let unknown = try #require(triton["unknown_model_error"] as? [String: Any])
        #expect(unknown["status"] as? String == "404")
        #expect((unknown["message"] as? String ?? "").contains("is not served here"))
        #expect(try await server.stop() == 0)
    }

    /// Runs Tests/tools/oip_conformance.py against the server; its JSON answer.
    static func conformance(server: ServerProcess, model: String, pixels: [[UInt8]], directory: String, token: String? = nil) async throws -> [String: Any] {
        let input = directory + "/conformance-input.json"
        try JSONSerialization.data(withJSONObject: ["pixels": pixels.map { $0.map(Int.init) }]).write(to: URL(fileURLWithPath: input))
        let script = ExternalTools.packageRoot.appendingPathComponent("Tests/tools/oip_conformance.py").path
        let result = try await ProcessRunner.run(
            try ExternalTools.python(), [script, server.baseURL, model, input] + (token.map { ["--token", $0] } ?? []), timeout: .seconds(120))
        guard result.status == 0 else {
            throw ServerProcessError(message: "oip_conformance.py failed (\(result.status)); `make deps` installs kserve and tritonclient:\n\(result.combinedOutput)")
        }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    }

    @Test func badInputNeverStopsTheServer() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/model.safetensors"
        try Data(modelFileBytes(fashionShapedModel())).write(to: URL(fileURLWithPath: path))
        let server = try await ServerProcess(model: path, directory: directory)
        let cases: [(String, String, Int, String)] = [
            ("/v2/models/model/infer", "{\"inputs\": [", 400, "malformed JSON"),
            ("/v2/models/model/infer", inferBody(datatype: "FP32", shape: [1, 3], data: [1, 2, 3]), 400, "inputs[0].shape: [1, 3] does not fit"),
            ("/v2/models/model/infer", inferBody(datatype: "INT32", shape: [1, 784], data: Array(repeating: 1, count: 784)), 400,
             "inputs[0].datatype: \"INT32\" is not supported"),
            ("/v2/models/model/infer", inferBody(datatype: "FP32", shape: [2, 784], data: Array(repeating: 1, count: 784)), 400,
             "inputs[0].data: 784 values"),
            ("/v2/models/nope/infer", inferBody(datatype: "FP32", shape: [1, 784], data: Array(repeating: 1, count: 784)), 404,
             "model \"nope\" is not served here"),
        ]
        for (path, body, status, message) in cases {
            let answer = try await server.post(path, body: body)
            #expect(answer.status == status, "\(path): \(answer.body)")
            #expect((answer.json["error"] as? String ?? "").hasPrefix(message), "\(answer.body)")
        }
        #expect(try await server.get("/v2/health/live").status == 200)
        #expect(server.log.contains("unauthenticated"), "\(server.log)")
        #expect(try await server.stop() == 0)
    }

    @Test func aHundredMegabyteBodyIsRefusedWithoutBeingHeld() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/model.safetensors"
        try Data(modelFileBytes(fashionShapedModel())).write(to: URL(fileURLWithPath: path))
        let server = try await ServerProcess(model: path, arguments: ["--max-request-bytes", "1048576"], directory: directory)
        _ = try await server.post("/v2/models/model/infer", body: inferBody(datatype: "FP32", shape: [1, 784], data: Array(repeating: 0, count: 784)))
        let peakBefore = server.memoryKilobytes("VmHWM")
        let chunk = ByteBuffer(repeating: UInt8(ascii: " "), count: 1 << 20)
        for knownLength in [true, false] {
            var request = HTTPClientRequest(url: server.baseURL + "/v2/models/model/infer")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            let chunks = AsyncStream<ByteBuffer> { continuation in
                for _ in 0..<100 { continuation.yield(chunk) }
                continuation.finish()
            }
            request.body = .stream(chunks, length: knownLength ? .known(Int64(100 << 20)) : .unknown)
            let answer = try await server.execute(request)
            #expect(answer.status == 413, "Content-Length sent: \(knownLength): \(answer.body)")
            #expect((answer.json["error"] as? String ?? "").contains("1048576"), "\(answer.body)")
        }
        let growth = server.memoryKilobytes("VmHWM") - peakBefore
        #expect(growth < 40 * 1024, "peak RSS grew by \(growth) kB for two 100 MB bodies")
        #expect(try await server.get("/v2/health/ready").status == 200)
        #expect(try await server.stop() == 0)
    }

    @Test func aTokenFileMakesEveryCallerAuthenticate() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/model.safetensors"
        try Data(modelFileBytes(fashionShapedModel())).write(to: URL(fileURLWithPath: path))
        let tokenFile = directory + "/token"
        try "mounted-secret-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let server = try await ServerProcess(
            model: path, arguments: ["--token-file", tokenFile, "--host", "127.0.0.1"], directory: directory)
        #expect(try await server.get("/v2/health/ready").status == 200)
        #expect(try await server.get("/v2/models/model").status == 401)
        #expect(try await server.get("/v2/models/model", token: "wrong").status == 401)
        #expect(try await server.get("/v2/models/model", token: "mounted-secret-token").status == 200)
        #expect(try await server.get("/metrics", token: "mounted-secret-token").status == 200)
        #expect(!server.log.contains("unauthenticated"), "\(server.log)")
        let result = try await Self.conformance(
            server: server, model: "model", pixels: [Array(repeating: 7, count: 784)], directory: directory, token: "mounted-secret-token")
        #expect((result["kserve"] as? [String: Any])?["model_ready"] as? Bool == true)
        #expect(try await server.stop() == 0)
    }

    @Test func sigtermFinishesTheRequestInFlight() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/model.safetensors"
        let model = fashionShapedModel()
        try Data(modelFileBytes(model)).write(to: URL(fileURLWithPath: path))
        let server = try await ServerProcess(model: path, directory: directory)
        let pixels = samplePixels(rows: 1)
        let body = Array(inferBody(datatype: "UINT8", shape: [1, 784], data: pixels.map(Double.init)).utf8)
        let (chunks, sender) = AsyncStream<ByteBuffer>.makeStream()
        var request = HTTPClientRequest(url: server.baseURL + "/v2/models/model/infer")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .stream(chunks, length: .known(Int64(body.count)))
        // Half the body, then wait until the server is answering it.
        sender.yield(ByteBuffer(bytes: body[0..<(body.count / 2)]))
        let inFlight = Task { try await server.execute(request) }
        while try await server.metric("ringmaster_serving_inference_requests_in_flight") != 1 {
            try await Task.sleep(for: .milliseconds(20))
        }
        server.process.terminate()
        // The server stops accepting connections...
        while server.acceptsConnections() {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(server.process.isRunning, "the server exited with a request in flight:\n\(server.log)")
        // ...and still answers the request it has.
        sender.yield(ByteBuffer(bytes: body[(body.count / 2)...]))
        sender.finish()
        let answer = try await inFlight.value
        #expect(answer.status == 200, "\(answer.body)")
        let expected = ModelSignature.argmax(trainerLogits(model, features: pixels.map { Float($0) / 255 }, rows: 1)[...], classCount: 10)
        #expect((answer.json["outputs"] as? [[String: Any]])?.last?["data"] as? [Int] == expected)
        #expect(try await server.waitForExit() == 0)
        #expect(server.log.contains("server stopped"), "\(server.log)")
    }

    @Test func aModelFileItCannotServeExitsWithCode20() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/model.safetensors"
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: path))
        let result = try await ProcessRunner.run(builtExecutable("ringmaster-worker"), ["serve", "--model", path, "--port", "0"])
        #expect(result.status == 20)
        #expect(result.standardError.contains("cannot serve \(path)"), "\(result.standardError)")
    }
}
