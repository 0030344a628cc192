import COpenBLAS
import Foundation

/// A multi-layer perceptron with ReLU hidden layers and a softmax
/// cross-entropy loss, computed with OpenBLAS (`cblas_sgemm`).
///
/// All parameters live in the one flat `parameters` buffer laid out by
/// `architecture`, so a whole-model gradient is one buffer too, and per-layer
/// buckets are contiguous ranges of it.
public struct MLP: Sendable, Equatable {
    public let architecture: MLPArchitecture
    public var parameters: [Float]

    /// A model with the given parameters; `parameters.count` must equal
    /// `architecture.parameterCount`.
    public init(architecture: MLPArchitecture, parameters: [Float]) {
        precondition(parameters.count == architecture.parameterCount, "parameter count does not match the architecture")
        self.architecture = architecture
        self.parameters = parameters
    }

    /// A freshly initialised model: He (Kaiming) uniform weights,
    /// `U(-sqrt(6 / fanIn), sqrt(6 / fanIn))` (variance 2 / fanIn), and zero
    /// biases, drawn from `SplitMix64(seed:)`. Only integer arithmetic and
    /// correctly rounded IEEE operations are used, so a seed gives bitwise the
    /// same weights on every platform.
    public init(architecture: MLPArchitecture, seed: UInt64) {
        var parameters = [Float](repeating: 0, count: architecture.parameterCount)
        var generator = SplitMix64(seed: seed)
        for layer in architecture.layers {
            let bound = (6.0 / Double(layer.inputs)).squareRoot()
            for index in layer.weightOffset..<layer.biasOffset {
                parameters[index] = Float((generator.nextUnitDouble() * 2 - 1) * bound)
            }
        }
        self.init(architecture: architecture, parameters: parameters)
    }

    /// Runs the forward pass on `count` samples (`features` row-major) and
    /// leaves every layer's activations in `workspace`; the last one holds
    /// the logits.
    public func forward(features: UnsafeBufferPointer<Float>, count: Int, workspace: MLPWorkspace) {
        precondition(features.count == count * architecture.inputCount, "features must hold count rows of inputCount values")
        workspace.prepare(architecture: architecture, batchSize: count)
        workspace.activations[0].withUnsafeMutableBufferPointer { input in
            input.baseAddress!.update(from: features.baseAddress!, count: features.count)
        }
        let lastLayer = architecture.layers.count - 1
        parameters.withUnsafeBufferPointer { parameterBuffer in
            for (index, layer) in architecture.layers.enumerated() {
                let weights = parameterBuffer.baseAddress! + layer.weightOffset
                let biases = parameterBuffer.baseAddress! + layer.biasOffset
                let input = workspace.activations[index]
                workspace.activations[index + 1].withUnsafeMutableBufferPointer { output in
                    let out = output.baseAddress!
                    // Start from the bias, then Z += X * W^T.
                    for row in 0..<count {
                        (out + row * layer.outputs).update(from: biases, count: layer.outputs)
                    }
                    input.withUnsafeBufferPointer { inputBuffer in
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasTrans,
                            Int32(count), Int32(layer.outputs), Int32(layer.inputs),
                            1, inputBuffer.baseAddress, Int32(layer.inputs),
                            weights, Int32(layer.inputs),
                            1, out, Int32(layer.outputs))
                    }
                    if index < lastLayer {
                        for position in 0..<(count * layer.outputs) where out[position] < 0 {
                            out[position] = 0
                        }
                    }
                }
            }
        }
    }

    /// The softmax cross-entropy of the logits in `workspace` against
    /// `labels`: returns the summed loss (in `Double`) and the number of
    /// correct predictions, and leaves the gradient of the *mean* loss with
    /// respect to the logits in the workspace's last delta.
    @discardableResult
    public func lossGradient(labels: [Int32], workspace: MLPWorkspace) -> (lossSum: Double, correct: Int) {
        let count = labels.count
        let classes = architecture.classCount
        precondition(count == workspace.batchSize, "one label per sample of the last forward pass")
        var lossSum = 0.0
        var correct = 0
        let logits = workspace.activations[architecture.layers.count]
        let scale = Float(1) / Float(count)
        workspace.deltas[architecture.layers.count].withUnsafeMutableBufferPointer { delta in
            logits.withUnsafeBufferPointer { logit in
                for row in 0..<count {
                    let base = row * classes
                    var maximum = logit[base]
                    var best = 0
                    for column in 1..<max(classes, 1) where logit[base + column] > maximum {
                        maximum = logit[base + column]
                        best = column
                    }
                    var total: Double = 0
                    for column in 0..<classes {
                        total += exp(Double(logit[base + column] - maximum))
                    }
                    let label = Int(labels[row])
                    lossSum += log(total) - Double(logit[base + label] - maximum)
                    if best == label { correct += 1 }
                    for column in 0..<classes {
                        let probability = Float(exp(Double(logit[base + column] - maximum)) / total)
                        delta[base + column] = (probability - (column == label ? 1 : 0)) * scale
                    }
                }
            }
        }
        return (lossSum, correct)
    }

    /// Back-propagates through layer `index` after `lossGradient` (and
    /// after layers `index + 1...`): writes that layer's weight and bias
    /// gradients into `gradient` (laid out like `parameters`) and, for
    /// `index > 0`, the delta of the layer below into the workspace.
    public func backward(layer index: Int, workspace: MLPWorkspace, gradient: inout [Float]) {
        let layer = architecture.layers[index]
        let count = workspace.batchSize
        precondition(gradient.count == architecture.parameterCount, "the gradient must be laid out like the parameters")
        let delta = workspace.deltas[index + 1]
        let input = workspace.activations[index]
        gradient.withUnsafeMutableBufferPointer { gradientBuffer in
            let weightGradient = gradientBuffer.baseAddress! + layer.weightOffset
            let biasGradient = gradientBuffer.baseAddress! + layer.biasOffset
            delta.withUnsafeBufferPointer { deltaBuffer in
                // dW = dZ^T * X
                input.withUnsafeBufferPointer { inputBuffer in
                    cblas_sgemm(
                        CblasRowMajor, CblasTrans, CblasNoTrans,
                        Int32(layer.outputs), Int32(layer.inputs), Int32(count),
                        1, deltaBuffer.baseAddress, Int32(layer.outputs),
                        inputBuffer.baseAddress, Int32(layer.inputs),
                        0, weightGradient, Int32(layer.inputs))
                }
                // db = column sums of dZ
                for column in 0..<layer.outputs { biasGradient[column] = 0 }
                for row in 0..<count {
                    let base = row * layer.outputs
                    for column in 0..<layer.outputs { biasGradient[column] += deltaBuffer[base + column] }
                }
            }
        }
        guard index > 0 else { return }
        // dX = dZ * W, then through the ReLU of the layer below.
        parameters.withUnsafeBufferPointer { parameterBuffer in
            delta.withUnsafeBufferPointer { deltaBuffer in
                workspace.deltas[index].withUnsafeMutableBufferPointer { below in
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans,
                        Int32(count), Int32(layer.inputs), Int32(layer.outputs),
                        1, deltaBuffer.baseAddress, Int32(layer.outputs),
                        parameterBuffer.baseAddress! + layer.weightOffset, Int32(layer.inputs),
                        0, below.baseAddress, Int32(layer.inputs))
                    input.withUnsafeBufferPointer { activation in
                        for position in 0..<(count * layer.inputs) where activation[position] <= 0 {
                            below[position] = 0
                        }
                    }
                }
            }
        }
    }

    /// Forward, loss and the full backward pass in one call: the gradient of
    /// the mean loss over the batch.
    public func lossAndGradient(
        features: [Float], labels: [Int32], workspace: MLPWorkspace, gradient: inout [Float]
    ) -> (lossSum: Double, correct: Int) {
        features.withUnsafeBufferPointer { forward(features: $0, count: labels.count, workspace: workspace) }
        let result = lossGradient(labels: labels, workspace: workspace)
        for index in architecture.layers.indices.reversed() {
            backward(layer: index, workspace: workspace, gradient: &gradient)
        }
        return result
    }

    /// The summed loss and the number of correct predictions on `count`
    /// samples, without gradients.
    public func evaluate(features: UnsafeBufferPointer<Float>, labels: ArraySlice<Int32>, workspace: MLPWorkspace) -> (lossSum: Double, correct: Int) {
        forward(features: features, count: labels.count, workspace: workspace)
        return lossGradient(labels: Array(labels), workspace: workspace)
    }
}
