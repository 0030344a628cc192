import Training

/// A model the server can run: a classifier from `inputCount` features to
/// `classCount` logits. One conformance per architecture the trainer writes
/// (`ModelFile` picks it from the file's metadata); each runs the trainer's
/// own forward pass, so served predictions are the trainer's.
public protocol InferenceModel: Sendable {
    /// The architecture as the file's metadata names it (`mlp`).
    var architecture: String { get }
    /// Features per sample.
    var inputCount: Int { get }
    /// Output logits per sample.
    var classCount: Int { get }
    /// A short description for logs (`784-256-128-10 relu`).
    var summary: String { get }
    /// Scratch state for forward passes, owned by one task at a time.
    func makeRunner() -> any InferenceRunner
}

/// Runs forward passes of one model. Not safe to use from two tasks at once;
/// the batcher owns one.
public protocol InferenceRunner {
    /// The logits of `count` samples (`features` row-major, `count` rows of
    /// `inputCount`), row-major into `logits` (resized to `count * classCount`).
    mutating func logits(features: UnsafeBufferPointer<Float>, count: Int, into logits: inout [Float])
}

/// The trainer's MLP, run with its own `forward` (OpenBLAS `sgemm`).
public struct MLPInferenceModel: InferenceModel {
    public let model: MLP

    public init(model: MLP) { self.model = model }

    public var architecture: String { MLP.FileMetadata.architecture }
    public var inputCount: Int { model.architecture.inputCount }
    public var classCount: Int { model.architecture.classCount }
    public var summary: String {
        model.architecture.widths.map(String.init).joined(separator: "-") + " " + MLP.FileMetadata.activation
    }

    public func makeRunner() -> any InferenceRunner { Runner(model: model) }

    struct Runner: InferenceRunner {
        let model: MLP
        let workspace = MLPWorkspace()

        mutating func logits(features: UnsafeBufferPointer<Float>, count: Int, into logits: inout [Float]) {
            model.forward(features: features, count: count, workspace: workspace)
            logits = workspace.activations[model.architecture.layers.count]
        }
    }
}
