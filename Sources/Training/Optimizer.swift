/// Updates parameters from their (already averaged) gradient.
///
/// Its whole state is `stepCount` and the flat `state` buffer, which a
/// checkpoint saves and `restore` reinstates, so a resumed run continues
/// exactly where the saved one stopped.
public protocol Optimizer: Sendable {
    /// How many updates have been applied.
    var stepCount: Int { get }
    /// The optimizer's buffers (momentum, moment estimates), flat.
    var state: [Float] { get }
    /// The step size of the next update; a schedule may change it between steps.
    var learningRate: Float { get set }
    /// Applies one update.
    mutating func step(parameters: inout [Float], gradient: [Float])
    /// Reinstates a saved state; `state.count` must match.
    mutating func restore(stepCount: Int, state: [Float])
}

/// Which optimizer a job uses, and its hyperparameters.
public enum OptimizerKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Stochastic gradient descent with (heavy-ball) momentum.
    case sgd
    /// Adam (Kingma & Ba) with bias correction.
    case adam

    /// A fresh optimizer for `parameterCount` parameters.
    public func make(parameterCount: Int, learningRate: Float, momentum: Float) -> any Optimizer {
        switch self {
        case .sgd: SGDOptimizer(parameterCount: parameterCount, learningRate: learningRate, momentum: momentum)
        case .adam: AdamOptimizer(parameterCount: parameterCount, learningRate: learningRate)
        }
    }

    /// The length of the state buffer for `parameterCount` parameters.
    public func stateCount(parameterCount: Int) -> Int {
        switch self {
        case .sgd: parameterCount
        case .adam: 2 * parameterCount
        }
    }
}
