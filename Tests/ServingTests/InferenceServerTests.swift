import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Serving
import Testing
import Training

/// The whole application in process (Hummingbird's router test framework),
/// and once through a real socket.
@Suite struct InferenceServerTests {
    let model = fashionShapedModel()

    func server(token: String? = nil, maxRequestBytes: Int = 1 << 20) -> InferenceServer {
        InferenceServer(
            model: MLPInferenceModel(model: model),
            configuration: .init(port: 0, modelName: "fashion", token: token, maxRequestBytes: maxRequestBytes),
            logger: quietLogger)
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body))
        return try #require(object as? [String: Any], "\(String(buffer: response.body))")
    }

    func post(_ client: some TestClientProtocol, _ uri: String, _ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test func healthAndMetadata() async throws {
        try await server().makeApplication().test(.router) { client in
            var response = try await client.execute(uri: "/v2/health/live", method: .get)
            #expect(response.status == .ok)
            #expect(try json(response)["live"] as? Bool == true)
            response = try await client.execute(uri: "/v2/health/ready", method: .get)
            #expect(response.status == .ok)
            #expect(try json(response)["ready"] as? Bool == true)
            response = try await client.execute(uri: "/v2/models/fashion/ready", method: .get)
            #expect(response.status == .ok)
            #expect(try json(response)["name"] as? String == "fashion")
            response = try await client.execute(uri: "/v2", method: .get)
            #expect(try json(response)["name"] as? String == "ringmaster")
            response = try await client.execute(uri: "/v2/models/fashion", method: .get)
            #expect(response.status == .ok)
            let metadata = try JSONDecoder().decode(OpenInferenceProtocol.ModelMetadataResponse.self, from: response.body)
            #expect(metadata.name == "fashion")
            #expect(metadata.versions == ["1"])
            #expect(metadata.platform == "ringmaster_mlp")
            #expect(metadata.inputs == [.init(name: "input", datatype: "FP32", shape: [-1, 784])])
            #expect(metadata.outputs == [
                .init(name: "probabilities", datatype: "FP32", shape: [-1, 10]), .init(name: "class", datatype: "INT64", shape: [-1]),
            ])
            response = try await client.execute(uri: "/v2/models/fashion/versions/1", method: .get)
            #expect(response.status == .ok)
        }
    }

    @Test func inferenceAnswersWithTheTrainersPredictions() async throws {
        let pixels = samplePixels(rows: 3)
        let features = pixels.map { Float($0) / 255 }
        let logits = trainerLogits(model, features: features, rows: 3)
        let expectedClasses = ModelSignature.argmax(logits[...], classCount: 10)
        try await server().makeApplication().test(.router) { client in
            for uri in ["/v2/models/fashion/infer", "/v2/models/fashion/versions/1/infer"] {
                let response = try await post(
                    client, uri, inferBody(datatype: "UINT8", shape: [3, 784], data: pixels.map(Double.init), id: "request-7"))
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let body = try json(response)
                #expect(body["model_name"] as? String == "fashion")
                #expect(body["model_version"] as? String == "1")
                #expect(body["id"] as? String == "request-7")
                let outputs = try #require(body["outputs"] as? [[String: Any]])
                #expect(outputs.map { $0["name"] as? String } == ["probabilities", "class"])
                #expect(outputs[0]["datatype"] as? String == "FP32")
                #expect(outputs[0]["shape"] as? [Int] == [3, 10])
                #expect(outputs[1]["datatype"] as? String == "INT64")
                #expect(outputs[1]["shape"] as? [Int] == [3])
                #expect(outputs[1]["data"] as? [Int] == expectedClasses)
                let probabilities = try #require(outputs[0]["data"] as? [Double])
                let reference = ModelSignature.softmax(logits[...], classCount: 10)
                #expect(zip(probabilities, reference).allSatisfy { abs($0 - Double($1)) < 1e-6 })
            }
        }
    }

    @Test(arguments: [
        ("/v2/models/fashion/infer", "{not json", 400, "malformed JSON"),
        ("/v2/models/fashion/infer", #"{"inputs": [{"name": "x", "shape": [1, 784], "datatype": "FP32"}]}"#, 400,
         "inputs[0].data: required field is missing"),
        ("/v2/models/fashion/infer", #"{"inputs": [{"name": "x", "shape": "1,784", "datatype": "FP32", "data": [1]}]}"#, 400,
         "inputs[0].shape: expected an array"),
        ("/v2/models/fashion/infer", #"{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": ["a", "b"]}]}"#, 400,
         "inputs[0].data[0]: expected a number"),
        ("/v2/models/fashion/infer", inferBody(datatype: "FP32", shape: [1, 10], data: Array(repeating: 0, count: 10)), 400,
         "inputs[0].shape: [1, 10] does not fit the model"),
        ("/v2/models/fashion/infer", inferBody(datatype: "BYTES", shape: [1, 784], data: Array(repeating: 0, count: 784)), 400,
         "inputs[0].datatype: \"BYTES\" is not supported"),
        ("/v2/models/fashion/infer", inferBody(datatype: "UINT8", shape: [1, 784], data: Array(repeating: 0, count: 700)), 400,
         "inputs[0].data: 700 values for shape [1, 784]"),
        ("/v2/models/other/infer", inferBody(datatype: "FP32", shape: [1, 784], data: Array(repeating: 0, count: 784)), 404,
         "model \"other\" is not served here"),
        ("/v2/models/fashion/versions/2/infer", inferBody(datatype: "FP32", shape: [1, 784], data: Array(repeating: 0, count: 784)), 404,
         "model \"fashion\" has no version \"2\""),
        ("/v2/nothing", "{}", 404, "no route for POST /v2/nothing"),
    ])
    func badInputGetsTheProtocolsErrorBody(uri: String, body: String, status: Int, message: String) async throws {
        try await server().makeApplication().test(.router) { client in
            let response = try await post(client, uri, body)
            #expect(response.status.code == status, "\(String(buffer: response.body))")
            #expect(response.headers[.contentType] == "application/json")
            let error = try #require(try json(response)["error"] as? String)
            #expect(error.hasPrefix(message), "\(error)")
            // The server goes on answering.
            let live = try await client.execute(uri: "/v2/health/live", method: .get)
            #expect(live.status == .ok)
        }
    }

    @Test func theBinaryTensorExtensionIsRefusedClearly() async throws {
        try await server().makeApplication().test(.router) { client in
            let response = try await post(
                client, "/v2/models/fashion/infer", "{}", headers: [HTTPField.Name("Inference-Header-Content-Length")!: "2"])
            #expect(response.status == .badRequest)
            #expect(try json(response)["error"] as? String ?? "" == "the binary tensor data extension (Inference-Header-Content-Length) is not supported; send the tensors as JSON \"data\"")
        }
    }

    @Test func aBodyOverTheLimitGets413() async throws {
        let body = inferBody(datatype: "UINT8", shape: [200, 784], data: Array(repeating: 255, count: 200 * 784))
        try await server(maxRequestBytes: 64 * 1024).makeApplication().test(.router) { client in
            let response = try await post(client, "/v2/models/fashion/infer", body)
            #expect(response.status == .contentTooLarge)
            #expect((try json(response)["error"] as? String ?? "").contains("at most 65536"))
        }
    }

    @Test func aTokenIsRequiredExceptForTheProbes() async throws {
        let body = inferBody(datatype: "FP32", shape: [1, 784], data: Array(repeating: 0, count: 784))
        try await server(token: "s3cret-token").makeApplication().test(.router) { client in
            for uri in ["/v2/health/live", "/v2/health/ready"] {
                #expect(try await client.execute(uri: uri, method: .get).status == .ok, "\(uri)")
            }
            for uri in ["/v2", "/v2/models/fashion", "/v2/models/fashion/ready", "/metrics"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .unauthorized, "\(uri)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                #expect((try json(response)["error"] as? String ?? "").contains("bearer token"))
            }
            var response = try await post(client, "/v2/models/fashion/infer", body, headers: [.authorization: "Bearer wrong-token"])
            #expect(response.status == .unauthorized)
            #expect(try json(response)["error"] as? String == "the bearer token is not valid for this server")
            response = try await post(client, "/v2/models/fashion/infer", body, headers: [.authorization: "Basic s3cret-token"])
            #expect(response.status == .unauthorized)
            response = try await post(client, "/v2/models/fashion/infer", body, headers: [.authorization: "Bearer s3cret-token"])
            #expect(response.status == .ok)
            response = try await client.execute(uri: "/v2/models/fashion", method: .get, headers: [.authorization: "bearer s3cret-token"])
            #expect(response.status == .ok)
        }
    }

    @Test func metricsCountRequestsErrorsLatencyAndBatches() async throws {
        let body = inferBody(datatype: "FP32", shape: [2, 784], data: Array(repeating: 0.5, count: 2 * 784))
        try await server().makeApplication().test(.router) { client in
            _ = try await post(client, "/v2/models/fashion/infer", body)
            _ = try await post(client, "/v2/models/fashion/infer", "[]")
            _ = try await client.execute(uri: "/nowhere", method: .get)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            let lines = Set(text.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"ringmaster_serving_requests_total{route="/v2/models/{name}/infer",code="200"} 1"#), "\(text)")
            #expect(lines.contains(#"ringmaster_serving_request_errors_total{route="/v2/models/{name}/infer",code="400"} 1"#), "\(text)")
            #expect(lines.contains(#"ringmaster_serving_request_errors_total{route="unmatched",code="404"} 1"#), "\(text)")
            #expect(lines.contains(#"ringmaster_serving_request_duration_seconds_count{route="/v2/models/{name}/infer"} 2"#), "\(text)")
            #expect(lines.contains("ringmaster_serving_batch_size_samples_count 1"), "\(text)")
            #expect(lines.contains("ringmaster_serving_batch_size_samples_sum 2.0"), "\(text)")
            #expect(lines.contains("ringmaster_serving_inference_samples_total 2"), "\(text)")
        }
    }

    @Test func servesOverARealSocket() async throws {
        let pixels = samplePixels(rows: 1)
        let expected = ModelSignature.argmax(trainerLogits(model, features: pixels.map { Float($0) / 255 }, rows: 1)[...], classCount: 10)
        try await server().makeApplication().test(.live) { client in
            let images = inferBody(datatype: "UINT8", shape: [1, 28, 28], data: pixels.map(Double.init))
            let response = try await post(client, "/v2/models/fashion/infer", images)
            #expect(response.status == .ok)
            let outputs = try #require(try json(response)["outputs"] as? [[String: Any]])
            #expect(outputs.last?["data"] as? [Int] == expected)
        }
    }
}
