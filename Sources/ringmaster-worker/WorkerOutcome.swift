import Collective
import Training
import TrainingJobAPI

/// How a worker run ended: the exit code and the one-line termination message.
struct WorkerOutcome: Sendable {
    var exitCode: WorkerExitCode
    var message: String

    /// Classifies an error: ring failures are retryable, bad input is permanent.
    init(error: any Error) {
        switch error {
        case let error as CollectiveError where error.code == .invalidArgument:
            // A ring configuration no retry can fix (an empty token, malformed peers).
            exitCode = .invalidInput
            message = "invalid ring configuration: \(error)"
        case let error as CollectiveError:
            exitCode = .ringFailure
            message = "ring failure: \(error)"
        case let error as DatasetError:
            exitCode = .invalidInput
            message = "invalid data set: \(error)"
        case let error as TrainingConfigurationError:
            exitCode = .invalidInput
            message = error.description
        case let error as WorkerEnvironmentError:
            exitCode = .invalidInput
            message = error.description
        case let error as WorkerInputError:
            exitCode = .invalidInput
            message = error.description
        default:
            exitCode = .unexpected
            message = "unexpected error: \(error)"
        }
    }

    init(exitCode: WorkerExitCode, message: String) {
        self.exitCode = exitCode
        self.message = message
    }
}

/// Worker settings that parse but make no sense (an unknown optimizer or format).
struct WorkerInputError: Error, Sendable, CustomStringConvertible {
    var description: String
}
