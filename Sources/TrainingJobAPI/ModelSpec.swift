/// `spec.model`: the network the workers train.
///
/// Immutable once the job exists: a checkpoint only fits the model it was
/// written for.
public struct ModelSpec: Codable, Sendable, Hashable {
    /// Widths of the hidden layers of the multi-layer perceptron, input side
    /// first. The input and output widths come from the data set.
    public var hiddenLayers: [Int]

    public init(hiddenLayers: [Int] = TrainingJobDefaults.hiddenLayers) {
        self.hiddenLayers = hiddenLayers
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case hiddenLayers
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hiddenLayers = try container.decodeIfPresent([Int].self, forKey: .hiddenLayers) ?? TrainingJobDefaults.hiddenLayers
    }
}
