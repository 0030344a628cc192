import Testing
@testable import Training

@Suite struct MLPTests {
    /// Random inputs and labels for a tiny network.
    private func batch(count: Int, inputs: Int, classes: Int, seed: UInt64) -> ([Float], [Int32]) {
        var generator = SplitMix64(seed: seed)
        let features = (0..<(count * inputs)).map { _ in Float(generator.nextUnitDouble() * 2 - 1) }
        let labels = (0..<count).map { _ in Int32(generator.next(below: UInt64(classes))) }
        return (features, labels)
    }

    private func meanLoss(_ model: MLP, _ features: [Float], _ labels: [Int32]) -> Double {
        let workspace = MLPWorkspace()
        let result = features.withUnsafeBufferPointer { model.evaluate(features: $0, labels: labels[...], workspace: workspace) }
        return result.lossSum / Double(labels.count)
    }

    @Test(arguments: [[Int](), [5], [6, 4]])
    func backwardMatchesFiniteDifferences(hidden: [Int]) {
        let architecture = MLPArchitecture(inputCount: 4, hiddenWidths: hidden, classCount: 3)
        let model = MLP(architecture: architecture, seed: 7)
        let (features, labels) = batch(count: 6, inputs: 4, classes: 3, seed: 11)
        var gradient = [Float](repeating: .nan, count: architecture.parameterCount)
        _ = model.lossAndGradient(features: features, labels: labels, workspace: MLPWorkspace(), gradient: &gradient)
        #expect(!gradient.contains { $0.isNaN })
        // Central differences in float32: step 1e-3 keeps the rounding error
        // near 1e-4 while staying far from most ReLU kinks.
        let step: Float = 1e-3
        var worst: Float = 0
        for index in 0..<architecture.parameterCount {
            var plus = model
            plus.parameters[index] += step
            var minus = model
            minus.parameters[index] -= step
            let numeric = Float((meanLoss(plus, features, labels) - meanLoss(minus, features, labels))
                / Double(plus.parameters[index] - minus.parameters[index]))
            let error = abs(numeric - gradient[index]) / (1e-3 + 1e-2 * abs(numeric))
            worst = max(worst, error)
        }
        #expect(worst <= 1, "largest scaled gradient error \(worst)")
        // The gradient is not trivially zero.
        #expect(gradient.contains { abs($0) > 1e-3 })
    }

    @Test func initialisationIsDeterministicAndHeScaled() {
        let architecture = MLPArchitecture(inputCount: 784, hiddenWidths: [128], classCount: 10)
        let first = MLP(architecture: architecture, seed: 42)
        let second = MLP(architecture: architecture, seed: 42)
        let other = MLP(architecture: architecture, seed: 43)
        #expect(first.parameters == second.parameters)
        #expect(first.parameters != other.parameters)
        let layer = architecture.layers[0]
        let weights = first.parameters[layer.weightOffset..<layer.biasOffset].map(Double.init)
        let variance = weights.reduce(0) { $0 + $1 * $1 } / Double(weights.count)
        // He initialisation: variance 2 / fanIn.
        #expect(abs(variance - 2.0 / 784) < 0.05 * 2.0 / 784)
        let bound = Float((6.0 / 784).squareRoot())
        #expect(weights.allSatisfy { abs($0) <= Double(bound) })
        #expect(first.parameters[layer.biasOffset..<layer.range.upperBound].allSatisfy { $0 == 0 })
    }

    @Test func layoutIsContiguousPerLayer() {
        let architecture = MLPArchitecture(inputCount: 784, hiddenWidths: [256, 128], classCount: 10)
        #expect(architecture.parameterCount == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10)
        #expect(architecture.layers.map(\.range.lowerBound) == [0, 784 * 256 + 256, 784 * 256 + 256 + 256 * 128 + 128])
        #expect(architecture.layers.last?.range.upperBound == architecture.parameterCount)
    }

    @Test(arguments: [OptimizerKind.sgd, .adam])
    func optimizerReducesLossOnOneBatch(kind: OptimizerKind) {
        let architecture = MLPArchitecture(inputCount: 4, hiddenWidths: [8], classCount: 3)
        var model = MLP(architecture: architecture, seed: 3)
        let (features, labels) = batch(count: 12, inputs: 4, classes: 3, seed: 5)
        var optimizer = kind.make(parameterCount: architecture.parameterCount, learningRate: 0.05, momentum: 0.9)
        let before = meanLoss(model, features, labels)
        var gradient = [Float](repeating: 0, count: architecture.parameterCount)
        let workspace = MLPWorkspace()
        for _ in 0..<50 {
            _ = model.lossAndGradient(features: features, labels: labels, workspace: workspace, gradient: &gradient)
            optimizer.step(parameters: &model.parameters, gradient: gradient)
        }
        #expect(optimizer.stepCount == 50)
        #expect(meanLoss(model, features, labels) < before * 0.5)
    }

    @Test func adamRestoreContinuesBitwise() {
        let count = 16
        var generator = SplitMix64(seed: 9)
        let gradients = (0..<6).map { _ in (0..<count).map { _ in Float(generator.nextUnitDouble() - 0.5) } }
        var straight = AdamOptimizer(parameterCount: count, learningRate: 0.01)
        var parameters = [Float](repeating: 0.5, count: count)
        for gradient in gradients { straight.step(parameters: &parameters, gradient: gradient) }

        var first = AdamOptimizer(parameterCount: count, learningRate: 0.01)
        var resumedParameters = [Float](repeating: 0.5, count: count)
        for gradient in gradients[0..<3] { first.step(parameters: &resumedParameters, gradient: gradient) }
        var second = AdamOptimizer(parameterCount: count, learningRate: 0.01)
        second.restore(stepCount: first.stepCount, state: first.state)
        for gradient in gradients[3...] { second.step(parameters: &resumedParameters, gradient: gradient) }
        #expect(resumedParameters == parameters)
    }
}
