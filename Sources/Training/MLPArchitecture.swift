/// The shape of a multi-layer perceptron and where each layer's parameters
/// live in the model's one flat parameter buffer.
///
/// Layer `l` maps `inputs` to `outputs` values. Its weights are an
/// `outputs x inputs` row-major matrix (PyTorch's `nn.Linear` layout) at
/// `weightOffset`, immediately followed by its `outputs` biases, so each
/// layer's parameters are one contiguous range (`range`) of the buffer.
public struct MLPArchitecture: Sendable, Hashable, Codable {
    public struct Layer: Sendable, Hashable, Codable {
        public var inputs: Int
        public var outputs: Int
        public var weightOffset: Int
        public var biasOffset: Int { weightOffset + inputs * outputs }
        /// The layer's weights and biases in the flat buffer.
        public var range: Range<Int> { weightOffset..<(biasOffset + outputs) }
    }

    public var inputCount: Int
    public var hiddenWidths: [Int]
    public var classCount: Int
    public let layers: [Layer]
    public let parameterCount: Int

    /// `inputCount` features, ReLU hidden layers of `hiddenWidths` (possibly
    /// none), and `classCount` output logits. Every width must be positive.
    public init(inputCount: Int, hiddenWidths: [Int], classCount: Int) {
        precondition(inputCount > 0 && classCount > 0 && hiddenWidths.allSatisfy { $0 > 0 }, "layer widths must be positive")
        self.inputCount = inputCount
        self.hiddenWidths = hiddenWidths
        self.classCount = classCount
        let widths = [inputCount] + hiddenWidths + [classCount]
        var layers: [Layer] = []
        var offset = 0
        for index in 0..<(widths.count - 1) {
            let layer = Layer(inputs: widths[index], outputs: widths[index + 1], weightOffset: offset)
            layers.append(layer)
            offset = layer.range.upperBound
        }
        self.layers = layers
        parameterCount = offset
    }

    /// The widths of every activation, input first, logits last.
    public var widths: [Int] { [inputCount] + hiddenWidths + [classCount] }

    /// The safetensors / PyTorch-style names of layer `index`'s tensors.
    public static func weightName(layer index: Int) -> String { "layers.\(index).weight" }
    public static func biasName(layer index: Int) -> String { "layers.\(index).bias" }
}
