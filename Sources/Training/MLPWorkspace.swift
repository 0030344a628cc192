/// The scratch buffers of one forward and backward pass: the activations of
/// every layer and the deltas flowing back. Reused across steps so training
/// allocates nothing per step; not safe to share between concurrent passes.
public final class MLPWorkspace {
    /// `activations[0]` is the input, `activations[l + 1]` the output of layer `l`.
    public internal(set) var activations: [[Float]] = []
    /// `deltas[l + 1]` is the loss gradient with respect to layer `l`'s pre-activation output.
    public internal(set) var deltas: [[Float]] = []
    public private(set) var batchSize = 0
    private var widths: [Int] = []

    public init() {}

    /// Sizes the buffers for `batchSize` samples (a no-op when they already fit).
    func prepare(architecture: MLPArchitecture, batchSize: Int) {
        let widths = architecture.widths
        guard batchSize != self.batchSize || widths != self.widths else { return }
        self.batchSize = batchSize
        self.widths = widths
        activations = widths.map { [Float](repeating: 0, count: $0 * batchSize) }
        deltas = widths.map { [Float](repeating: 0, count: $0 * batchSize) }
    }
}
