import Foundation
import Serving
import Testing

@Suite struct ModelSignatureTests {
    let signature = ModelSignature(inputCount: 784, classCount: 10)

    func request(_ body: String) throws -> OpenInferenceProtocol.InferenceRequest {
        try JSONDecoder().decode(OpenInferenceProtocol.InferenceRequest.self, from: Data(body.utf8))
    }

    @Test func uint8PixelsAreScaledAsTheTrainerReadsImages() throws {
        let pixels = samplePixels(rows: 2)
        let (rows, features) = try signature.features(
            of: request(inferBody(datatype: "UINT8", shape: [2, 784], data: pixels.map(Double.init))))
        #expect(rows == 2)
        #expect(features == pixels.map { Float($0) / 255 })
    }

    @Test func imagesAndNestedDataGiveTheSameFeatures() throws {
        let pixels = samplePixels(rows: 1).map(Double.init)
        let flat = try signature.features(of: request(inferBody(datatype: "UINT8", shape: [1, 784], data: pixels)))
        let nested: [[[Double]]] = [(0..<28).map { Array(pixels[($0 * 28)..<($0 * 28 + 28)]) }]
        let input: [String: Any] = ["name": "x", "datatype": "UINT8", "shape": [1, 28, 28], "data": nested]
        let object: [String: Any] = ["inputs": [input]]
        let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        let image = try signature.features(of: request(body))
        #expect(image.rows == 1)
        #expect(image.features == flat.features)
    }

    @Test func fp32ValuesAreTheFeatures() throws {
        let values = (0..<784).map { Double($0) / 1000 - 0.3 }
        let (_, features) = try signature.features(of: request(inferBody(datatype: "FP32", shape: [1, 784], data: values)))
        #expect(features == values.map(Float.init))
    }

    @Test(arguments: [
        (inferBody(datatype: "FP64", shape: [1, 784], data: Array(repeating: 0, count: 784)),
         "inputs[0].datatype: \"FP64\" is not supported"),
        (inferBody(datatype: "FP32", shape: [1, 783], data: Array(repeating: 0, count: 783)),
         "inputs[0].shape: [1, 783] does not fit the model, which takes [N, 784] or [N, 28, 28]"),
        (inferBody(datatype: "FP32", shape: [784], data: Array(repeating: 0, count: 784)),
         "inputs[0].shape: [784] does not fit the model"),
        (inferBody(datatype: "FP32", shape: [0, 784], data: []), "inputs[0].shape: [0, 784] is not"),
        (inferBody(datatype: "FP32", shape: [1, 27, 29], data: Array(repeating: 0, count: 783)), "inputs[0].shape: [1, 27, 29]"),
        (inferBody(datatype: "FP32", shape: [2, 784], data: Array(repeating: 0, count: 784)),
         "inputs[0].data: 784 values for shape [2, 784], which needs 1568"),
        (inferBody(datatype: "UINT8", shape: [1, 784], data: [256] + Array(repeating: 0, count: 783)),
         "inputs[0].data[0]: 256.0 is not a UINT8"),
        (inferBody(datatype: "UINT8", shape: [1, 784], data: [0, 1.5] + Array(repeating: 0, count: 782)),
         "inputs[0].data[1]: 1.5 is not a UINT8"),
        (inferBody(datatype: "UINT8", shape: [1, 784], data: [0, 0, -1] + Array(repeating: 0, count: 781)),
         "inputs[0].data[2]: -1.0 is not a UINT8"),
        (inferBody(datatype: "FP32", shape: [1, 784], data: Array(repeating: 0, count: 784), outputs: ["logits"]),
         "outputs[0].name: unknown output \"logits\""),
        (#"{"inputs": []}"#, "inputs: expected exactly one input tensor, got 0"),
    ])
    func badInputIsRefusedNamingTheField(body: String, message: String) throws {
        let error = try #require(throws: InferenceError.self) { try signature.features(of: request(body)) }
        #expect(error.code == .invalidInput)
        #expect(error.status.code == 400)
        #expect(error.message.hasPrefix(message), "\(error.message)")
    }

    @Test func outputsAreSoftmaxAndTheFirstLargestLogit() {
        let logits: [Float] = [1, 3, 3, 0, -1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]
        let signature = ModelSignature(inputCount: 4, classCount: 10)
        let outputs = signature.responseOutputs(logits: logits[...], rows: 2, requested: nil)
        #expect(outputs.map(\.name) == ["probabilities", "class"])
        #expect(outputs[1].shape == [2])
        #expect(outputs[1].data == .int64([1, 9]))
        #expect(outputs[0].shape == [2, 10])
        guard case .fp32(let probabilities) = outputs[0].data else {
            Issue.record("probabilities are not FP32")
            return
        }
        for row in 0..<2 {
            let slice = probabilities[(row * 10)..<(row * 10 + 10)]
            #expect(abs(slice.reduce(0, +) - 1) < 1e-5)
            let expected = logits[(row * 10)..<(row * 10 + 10)].map { exp(Double($0)) }
            let total = expected.reduce(0, +)
            for (value, reference) in zip(slice, expected) { #expect(abs(Double(value) - reference / total) < 1e-6) }
        }
        // Only what the request names, in its order.
        let onlyClass = signature.responseOutputs(logits: logits[...], rows: 2, requested: [.init(name: "class")])
        #expect(onlyClass.map(\.name) == ["class"])
    }

    @Test func theMetadataDescribesTheTensors() {
        #expect(signature.imageSide == 28)
        #expect(ModelSignature(inputCount: 10, classCount: 3).imageSide == nil)
        #expect(signature.inputMetadata == [.init(name: "input", datatype: "FP32", shape: [-1, 784])])
        #expect(signature.outputMetadata.map(\.name) == ["probabilities", "class"])
        #expect(signature.outputMetadata[0].shape == [-1, 10])
    }
}
