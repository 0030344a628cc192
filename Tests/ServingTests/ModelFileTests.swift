import Foundation
import Serving
import Testing
import Training

@Suite struct ModelFileTests {
    @Test func readsBackTheModelTheTrainerWrites() throws {
        let model = fashionShapedModel()
        let file = try ModelFile.decode(modelFileBytes(model), path: "/data/artifacts/model.safetensors")
        let served = try #require(file.model as? MLPInferenceModel)
        #expect(served.model == model)
        #expect(file.defaultName == "model")
        #expect(file.model.architecture == "mlp")
        #expect(file.model.inputCount == 784)
        #expect(file.model.classCount == 10)
        #expect(file.model.summary == "784-32-16-10 relu")
    }

    @Test func loadsFromDiskAndNamesTheModelAfterTheFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/fashion.safetensors"
        try Data(modelFileBytes(fashionShapedModel(hidden: []))).write(to: URL(fileURLWithPath: path))
        let file = try ModelFile.load(path: path)
        #expect(file.defaultName == "fashion")
        #expect(file.model.summary == "784-10 relu")
    }

    @Test func aNameInTheMetadataIsTheDefaultName() throws {
        var metadata = fashionShapedModel().fileMetadata
        metadata["name"] = "fashion-mnist"
        let file = try ModelFile.decode(modelFileBytes(fashionShapedModel(), metadata: metadata), path: "model.safetensors")
        #expect(file.defaultName == "fashion-mnist")
    }

    @Test func withoutMetadataTheTrainersTensorNamesMeanAnMLP() throws {
        let model = fashionShapedModel()
        let file = try ModelFile.decode(modelFileBytes(model, metadata: [:]), path: "model.safetensors")
        #expect((file.model as? MLPInferenceModel)?.model == model)
    }

    @Test(arguments: [
        ("missing file", nil as [UInt8]?, "no such file"),
        ("not safetensors", Array("hello".utf8), "invalid safetensors file"),
    ])
    func refusesWhatIsNotAModelFile(label: String, bytes: [UInt8]?, message: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/model.safetensors"
        if let bytes { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        let error = try #require(throws: ModelFileError.self) { try ModelFile.load(path: path) }
        #expect(error.description.contains(path), "\(label): \(error)")
        #expect(error.description.contains(message), "\(label): \(error)")
    }

    @Test func refusesAnArchitectureItDoesNotRun() throws {
        var metadata = fashionShapedModel().fileMetadata
        metadata["architecture"] = "cnn"
        let error = try #require(throws: ModelFileError.self) {
            try ModelFile.decode(modelFileBytes(fashionShapedModel(), metadata: metadata), path: "model.safetensors")
        }
        #expect(error.message.contains("architecture \"cnn\""), "\(error)")
        #expect(error.message.contains("it runs mlp"), "\(error)")
    }

    @Test func refusesTensorsThatDoNotMakeTheModel() throws {
        let model = fashionShapedModel()
        let tensors = SafetensorsFile.tensors(of: model)
        // A missing bias.
        var withoutBias = tensors
        withoutBias.removeAll { $0.name == "layers.1.bias" }
        var error = try #require(throws: ModelFileError.self) {
            try ModelFile.decode(SafetensorsFile.encode(withoutBias, metadata: model.fileMetadata), path: "m.safetensors")
        }
        #expect(error.message.contains("no tensor layers.1.bias"), "\(error)")
        // Layers that do not chain.
        var broken = tensors
        broken[2] = SafetensorsFile.Tensor(name: "layers.1.weight", shape: [16, 31], values: [Float](repeating: 0, count: 16 * 31))
        error = try #require(throws: ModelFileError.self) {
            try ModelFile.decode(SafetensorsFile.encode(broken, metadata: [:]), path: "m.safetensors")
        }
        #expect(error.message.contains("layers.1.weight takes 31 inputs"), "\(error)")
        // Metadata that disagrees with the tensors.
        var metadata = model.fileMetadata
        metadata["layers"] = "784,64,10"
        error = try #require(throws: ModelFileError.self) {
            try ModelFile.decode(SafetensorsFile.encode(tensors, metadata: metadata), path: "m.safetensors")
        }
        #expect(error.message.contains("do not match"), "\(error)")
        // A tensor the MLP has no place for.
        let extra = tensors + [SafetensorsFile.Tensor(name: "head.weight", shape: [1], values: [0])]
        error = try #require(throws: ModelFileError.self) {
            try ModelFile.decode(SafetensorsFile.encode(extra, metadata: [:]), path: "m.safetensors")
        }
        #expect(error.message.contains("unexpected tensor head.weight"), "\(error)")
    }

    @Test func theServedForwardPassIsTheTrainers() throws {
        let model = fashionShapedModel()
        let file = try ModelFile.decode(modelFileBytes(model), path: "model.safetensors")
        let features = samplePixels(rows: 5).map { Float($0) / 255 }
        var runner = file.model.makeRunner()
        var logits: [Float] = []
        features.withUnsafeBufferPointer { runner.logits(features: $0, count: 5, into: &logits) }
        #expect(logits == trainerLogits(model, features: features, rows: 5))
    }
}
