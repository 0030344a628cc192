/// SGD with momentum, as PyTorch defines it: `v = momentum * v + g`,
/// `p -= learningRate * v`.
public struct SGDOptimizer: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public private(set) var stepCount = 0
    private var velocity: [Float]

    public init(parameterCount: Int, learningRate: Float, momentum: Float) {
        self.learningRate = learningRate
        self.momentum = momentum
        velocity = [Float](repeating: 0, count: parameterCount)
    }

    public var state: [Float] { velocity }

    public mutating func step(parameters: inout [Float], gradient: [Float]) {
        precondition(parameters.count == velocity.count && gradient.count == velocity.count, "buffer sizes differ")
        let learningRate = learningRate, momentum = momentum
        velocity.withUnsafeMutableBufferPointer { velocity in
            parameters.withUnsafeMutableBufferPointer { parameters in
                gradient.withUnsafeBufferPointer { gradient in
                    for index in 0..<velocity.count {
                        let updated = momentum * velocity[index] + gradient[index]
                        velocity[index] = updated
                        parameters[index] -= learningRate * updated
                    }
                }
            }
        }
        stepCount += 1
    }

    public mutating func restore(stepCount: Int, state: [Float]) {
        precondition(state.count == velocity.count, "state size differs")
        self.stepCount = stepCount
        velocity = state
    }
}
