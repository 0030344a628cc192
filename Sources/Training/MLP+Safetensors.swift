import Foundation

/// Reading back the model the trainer writes: the inverse of
/// `SafetensorsFile.tensors(of:)` and of the metadata `ringmaster-worker`
/// stores beside the tensors (`architecture: mlp`, `layers: 784,256,128,10`,
/// `activation: relu`).
extension MLP {
    /// The metadata keys and values of a model file.
    public enum FileMetadata {
        public static let architectureKey = "architecture"
        public static let layersKey = "layers"
        public static let activationKey = "activation"
        public static let architecture = "mlp"
        public static let activation = "relu"
    }

    /// Rebuilds a model from `layers.<i>.weight` (`[outputs, inputs]`) and
    /// `layers.<i>.bias` (`[outputs]`) tensors. The layer widths come from
    /// the `layers` metadata when present (and must agree with the tensors),
    /// else from the tensors' shapes. Throws, naming the tensor or key, for
    /// a missing or extra tensor, a shape that does not chain, or metadata
    /// that says another architecture or activation.
    public init(safetensors tensors: [SafetensorsFile.Tensor], metadata: [String: String]) throws(SafetensorsError) {
        if let architecture = metadata[FileMetadata.architectureKey], architecture != FileMetadata.architecture {
            throw SafetensorsError(message: "metadata says architecture \"\(architecture)\", not \"\(FileMetadata.architecture)\"")
        }
        if let activation = metadata[FileMetadata.activationKey], activation != FileMetadata.activation {
            throw SafetensorsError(message: "metadata says activation \"\(activation)\"; the MLP uses \"\(FileMetadata.activation)\"")
        }
        var byName: [String: SafetensorsFile.Tensor] = [:]
        for tensor in tensors { byName[tensor.name] = tensor }
        var layerCount = 0
        while byName[MLPArchitecture.weightName(layer: layerCount)] != nil { layerCount += 1 }
        guard layerCount > 0 else {
            throw SafetensorsError(message: "no tensor \(MLPArchitecture.weightName(layer: 0)): not a model this trainer wrote")
        }
        var widths: [Int] = []
        for index in 0..<layerCount {
            let name = MLPArchitecture.weightName(layer: index)
            let shape = byName[name]!.shape
            guard shape.count == 2, shape[0] > 0, shape[1] > 0 else {
                throw SafetensorsError(message: "tensor \(name) has shape \(shape), expected [outputs, inputs]")
            }
            if index == 0 {
                widths.append(shape[1])
            } else if shape[1] != widths[index] {
                throw SafetensorsError(message: "tensor \(name) takes \(shape[1]) inputs, the layer below gives \(widths[index])")
            }
            widths.append(shape[0])
        }
        if let declared = metadata[FileMetadata.layersKey] {
            let parsed = declared.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parsed.allSatisfy({ $0 != nil }), parsed.map({ $0! }) == widths else {
                throw SafetensorsError(message: "metadata layers \"\(declared)\" do not match the tensors' widths \(widths)")
            }
        }
        let architecture = MLPArchitecture(inputCount: widths[0], hiddenWidths: Array(widths.dropFirst().dropLast()), classCount: widths.last!)
        var parameters = [Float](repeating: 0, count: architecture.parameterCount)
        for (index, layer) in architecture.layers.enumerated() {
            let weights = byName[MLPArchitecture.weightName(layer: index)]!
            guard let biases = byName[MLPArchitecture.biasName(layer: index)] else {
                throw SafetensorsError(message: "no tensor \(MLPArchitecture.biasName(layer: index))")
            }
            guard biases.shape == [layer.outputs] else {
                throw SafetensorsError(message: "tensor \(biases.name) has shape \(biases.shape), expected [\(layer.outputs)]")
            }
            parameters.replaceSubrange(layer.weightOffset..<layer.biasOffset, with: weights.values)
            parameters.replaceSubrange(layer.biasOffset..<layer.range.upperBound, with: biases.values)
        }
        let known = Set((0..<layerCount).flatMap { [MLPArchitecture.weightName(layer: $0), MLPArchitecture.biasName(layer: $0)] })
        if let extra = tensors.map(\.name).filter({ !known.contains($0) }).sorted().first {
            throw SafetensorsError(message: "unexpected tensor \(extra) for an MLP of \(layerCount) layers")
        }
        self.init(architecture: architecture, parameters: parameters)
    }

    /// The metadata `ringmaster-worker` writes beside the tensors of this model.
    public var fileMetadata: [String: String] {
        [
            "format": "pt", FileMetadata.architectureKey: FileMetadata.architecture,
            FileMetadata.layersKey: architecture.widths.map(String.init).joined(separator: ","),
            FileMetadata.activationKey: FileMetadata.activation,
        ]
    }
}
