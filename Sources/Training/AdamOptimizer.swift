/// Adam with bias correction. The powers `beta^t` are kept as running
/// products (no `pow`), so updates are bitwise reproducible.
public struct AdamOptimizer: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public private(set) var stepCount = 0
    private var moments: [Float]
    private var beta1Power: Double = 1
    private var beta2Power: Double = 1

    public init(parameterCount: Int, learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        moments = [Float](repeating: 0, count: 2 * parameterCount)
    }

    /// The first moments, then the second moments.
    public var state: [Float] { moments }

    public mutating func step(parameters: inout [Float], gradient: [Float]) {
        let count = parameters.count
        precondition(gradient.count == count && moments.count == 2 * count, "buffer sizes differ")
        beta1Power *= Double(beta1)
        beta2Power *= Double(beta2)
        let beta1 = beta1, beta2 = beta2, epsilon = epsilon
        let firstCorrection = Float(1 / (1 - beta1Power))
        let secondCorrection = Float(1 / (1 - beta2Power))
        let learningRate = learningRate
        moments.withUnsafeMutableBufferPointer { moments in
            parameters.withUnsafeMutableBufferPointer { parameters in
                gradient.withUnsafeBufferPointer { gradient in
                    for index in 0..<count {
                        let g = gradient[index]
                        let first = beta1 * moments[index] + (1 - beta1) * g
                        let second = beta2 * moments[count + index] + (1 - beta2) * g * g
                        moments[index] = first
                        moments[count + index] = second
                        let denominator = (second * secondCorrection).squareRoot() + epsilon
                        parameters[index] -= learningRate * (first * firstCorrection) / denominator
                    }
                }
            }
        }
        stepCount += 1
    }

    public mutating func restore(stepCount: Int, state: [Float]) {
        precondition(state.count == moments.count, "state size differs")
        self.stepCount = stepCount
        moments = state
        beta1Power = 1
        beta2Power = 1
        for _ in 0..<stepCount {
            beta1Power *= Double(beta1)
            beta2Power *= Double(beta2)
        }
    }
}
