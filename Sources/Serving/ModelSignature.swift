import Foundation

/// What a served classifier takes and gives on the wire, and the pure
/// checks and conversions between protocol tensors and the model's features
/// and logits.
///
/// Input: one tensor, `FP32` or `UINT8`, of shape `[N, features]` or, for a
/// model whose features are a square image, `[N, side, side]` (`[N, 28, 28]`
/// for Fashion-MNIST). `FP32` values are the features themselves; `UINT8`
/// values are pixels, divided by 255 as the trainer reads IDX images.
/// Outputs: `probabilities` (`FP32`, `[N, classes]`, the softmax of the
/// logits) and `class` (`INT64`, `[N]`, the index of the largest logit, the
/// first one on a tie, as the trainer's evaluation counts it).
public struct ModelSignature: Sendable, Hashable {
    public static let inputName = "input"
    public static let probabilitiesName = "probabilities"
    public static let className = "class"
    public static let outputNames = [probabilitiesName, className]
    public static let datatypes = ["FP32", "UINT8"]

    public var inputCount: Int
    public var classCount: Int

    public init(inputCount: Int, classCount: Int) {
        self.inputCount = inputCount
        self.classCount = classCount
    }

    public init(model: any InferenceModel) {
        self.init(inputCount: model.inputCount, classCount: model.classCount)
    }

    /// The side of a square image of `inputCount` pixels, if there is one.
    public var imageSide: Int? {
        let side = Int(Double(inputCount).squareRoot().rounded())
        return side > 1 && side * side == inputCount ? side : nil
    }

    /// The tensors the model metadata lists.
    public var inputMetadata: [OpenInferenceProtocol.MetadataTensor] {
        [.init(name: Self.inputName, datatype: "FP32", shape: [-1, inputCount])]
    }

    public var outputMetadata: [OpenInferenceProtocol.MetadataTensor] {
        [
            .init(name: Self.probabilitiesName, datatype: "FP32", shape: [-1, classCount]),
            .init(name: Self.className, datatype: "INT64", shape: [-1]),
        ]
    }

    /// The samples of a request: its one input's values as features, and the
    /// number of rows. Throws `InferenceError` (`invalidInput`) naming the
    /// field: not exactly one input, a datatype other than FP32 or UINT8, a
    /// shape that is not `[N, features]` (or `[N, side, side]`), a data count
    /// that does not match the shape, a UINT8 value that is not an integer in
    /// 0...255, a value that is not finite, or an output it does not have.
    public func features(of request: OpenInferenceProtocol.InferenceRequest) throws(InferenceError) -> (rows: Int, features: [Float]) {
        guard request.inputs.count == 1 else {
            throw InferenceError(.invalidInput, "inputs: expected exactly one input tensor, got \(request.inputs.count)")
        }
        if let outputs = request.outputs {
            for (index, output) in outputs.enumerated() where !Self.outputNames.contains(output.name) {
                throw InferenceError(
                    .invalidInput,
                    "outputs[\(index)].name: unknown output \"\(output.name)\"; this model has \(Self.outputNames.joined(separator: ", "))")
            }
        }
        let input = request.inputs[0]
        let field = "inputs[0]"
        guard Self.datatypes.contains(input.datatype) else {
            throw InferenceError(
                .invalidInput, "\(field).datatype: \"\(input.datatype)\" is not supported; send FP32 or UINT8")
        }
        let shape = input.shape
        let expected = imageSide.map { "[N, \(inputCount)] or [N, \($0), \($0)]" } ?? "[N, \(inputCount)]"
        guard let rows = shape.first, rows >= 1, shape.allSatisfy({ $0 >= 0 }) else {
            throw InferenceError(.invalidInput, "\(field).shape: \(shape) is not \(expected) with N >= 1")
        }
        let fits: Bool
        switch shape.count {
        case 2: fits = shape[1] == inputCount
        case 3: fits = imageSide != nil && shape[1] == imageSide && shape[2] == imageSide
        default: fits = false
        }
        guard fits else {
            throw InferenceError(.invalidInput, "\(field).shape: \(shape) does not fit the model, which takes \(expected)")
        }
        let (total, overflow) = rows.multipliedReportingOverflow(by: inputCount)
        guard !overflow, input.data.values.count == total else {
            throw InferenceError(
                .invalidInput,
                "\(field).data: \(input.data.values.count) values for shape \(shape), which needs \(overflow ? "too many" : String(total))")
        }
        var features = input.data.values
        if input.datatype == "UINT8" {
            for index in features.indices {
                let value = features[index]
                guard value >= 0, value <= 255, value.rounded(.towardZero) == value else {
                    throw InferenceError(.invalidInput, "\(field).data[\(index)]: \(value) is not a UINT8 (an integer in 0...255)")
                }
                // Divided, not multiplied by 1/255: the value the trainer's IDX reader gives.
                features[index] = value / 255
            }
        } else if let index = features.firstIndex(where: { !$0.isFinite }) {
            throw InferenceError(.invalidInput, "\(field).data[\(index)]: \(features[index]) is not a finite number")
        }
        return (rows, features)
    }

    /// The response outputs for `rows` samples' logits, in the order the
    /// request names them (both when it names none).
    public func responseOutputs(
        logits: ArraySlice<Float>, rows: Int, requested: [OpenInferenceProtocol.RequestOutput]?
    ) -> [OpenInferenceProtocol.ResponseOutput] {
        precondition(logits.count == rows * classCount, "one row of logits per sample")
        let names = requested?.map(\.name) ?? Self.outputNames
        var probabilities: [Float] = []
        var classes: [Int64] = []
        if names.contains(Self.probabilitiesName) {
            probabilities = Self.softmax(logits, classCount: classCount)
        }
        if names.contains(Self.className) {
            classes = Self.argmax(logits, classCount: classCount).map(Int64.init)
        }
        return names.map { name -> OpenInferenceProtocol.ResponseOutput in
            if name == Self.className {
                return OpenInferenceProtocol.ResponseOutput(name: name, shape: [rows], data: .int64(classes))
            }
            return OpenInferenceProtocol.ResponseOutput(name: name, shape: [rows, classCount], data: .fp32(probabilities))
        }
    }

    /// Row-wise softmax, computed in `Double` from the largest logit as the
    /// trainer's loss does.
    public static func softmax(_ logits: ArraySlice<Float>, classCount: Int) -> [Float] {
        var result = [Float](repeating: 0, count: logits.count)
        let base = logits.startIndex
        for row in 0..<(logits.count / classCount) {
            let start = base + row * classCount
            let maximum = logits[start..<(start + classCount)].max()!
            var total = 0.0
            for column in 0..<classCount { total += exp(Double(logits[start + column] - maximum)) }
            for column in 0..<classCount {
                result[row * classCount + column] = Float(exp(Double(logits[start + column] - maximum)) / total)
            }
        }
        return result
    }

    /// Row-wise index of the largest logit; the first one on a tie, as the trainer's evaluation counts it.
    public static func argmax(_ logits: ArraySlice<Float>, classCount: Int) -> [Int] {
        let base = logits.startIndex
        return (0..<(logits.count / classCount)).map { row in
            let start = base + row * classCount
            var best = 0
            for column in 1..<max(classCount, 1) where logits[start + column] > logits[start + best] { best = column }
            return best
        }
    }
}
