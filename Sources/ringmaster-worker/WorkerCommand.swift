import ArgumentParser
import Foundation
import Logging
import TrainingJobAPI

/// `ringmaster-worker`: the training runtime inside each worker Pod.
@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringmaster-worker",
        abstract: "Runs one rank of a Ringmaster TrainingJob: joins the ring, trains, checkpoints and writes the model.",
        discussion: """
        Everything is configured through the environment the operator sets in the worker Pod:

          \(WorkerEnvironment.Key.rank), \(WorkerEnvironment.Key.worldSize)      this rank and the number of ranks
          \(WorkerEnvironment.Key.peers)              host:port of every rank, in rank order (this rank listens on its own)
          \(WorkerEnvironment.Key.authToken)         the job's shared secret for peer authentication
          \(WorkerEnvironment.Key.datasetSource)     builtin (with \(WorkerEnvironment.Key.datasetName)) or path (with \(WorkerEnvironment.Key.datasetPath))
          \(WorkerEnvironment.Key.datasetFormat)     idx or csv (\(WorkerEnvironment.Key.datasetLabelColumn) names the CSV label column)
          \(WorkerEnvironment.Key.datasetTrainLimit), \(WorkerEnvironment.Key.datasetTestLimit)   use at most this many samples (0: all)
          \(WorkerEnvironment.Key.hiddenLayers), \(WorkerEnvironment.Key.epochs), \(WorkerEnvironment.Key.batchSize) (global),
          \(WorkerEnvironment.Key.learningRate), \(WorkerEnvironment.Key.optimizer) (sgd or adam), \(WorkerEnvironment.Key.momentum), \(WorkerEnvironment.Key.seed)
          \(WorkerEnvironment.Key.learningRateSchedule)  constant (default) or cosine (decay to 0 over all steps)
          \(WorkerEnvironment.Key.checkpointDirectory)  where rank 0 saves checkpoints and every run resumes from
          \(WorkerEnvironment.Key.checkpointEverySteps)  also save every N steps (0: only at epoch ends)
          \(WorkerEnvironment.Key.artifactDirectory)    where rank 0 writes model.safetensors and metrics.json
          \(WorkerEnvironment.Key.jobName), \(WorkerEnvironment.Key.jobNamespace)   the TrainingJob whose status rank 0 updates
          \(WorkerEnvironment.Key.progressIntervalSeconds)  at most one status update per this many seconds (default 5)
          \(WorkerEnvironment.Key.peerTimeoutSeconds)  how long a collective waits on a peer (default 30)
          \(WorkerEnvironment.Key.connectTimeoutSeconds)  how long to wait for all peers to join (default max(60, 2 x peer timeout))
          \(WorkerEnvironment.Key.terminationMessagePath)  termination message file (default /dev/termination-log)

        Status updates go to the API server found through KUBECONFIG or the in-cluster service account;
        without either, progress is only logged.

        Exit codes: 0 success, 10 ring failure (retryable), 20 invalid input (permanent), 1 anything else.

        `ringmaster-worker report-progress` is the progress sidecar of a bring-your-own trainer instead;
        `ringmaster-worker serve --model model.safetensors` serves a trained model (Open Inference Protocol V2).
        """,
        subcommands: [ReportProgressCommand.self, ServeCommand.self])

    func run() async throws {
        Self.bootstrapLogging()
        let logger = Logger(label: "ringmaster-worker")
        let environment = ProcessInfo.processInfo.environment
        if let fault = FaultExit.requested(environment) {
            TerminationMessage.write(
                fault.message,
                to: environment[WorkerEnvironment.Key.terminationMessagePath] ?? TerminationMessage.defaultPath,
                logger: logger)
            logger.error("worker failed", metadata: ["exitCode": "\(fault.code)", "reason": "\(fault.message)"])
            throw ExitCode(fault.code)
        }
        let outcome = await WorkerRun.execute(environment: environment, logger: logger)
        TerminationMessage.write(
            outcome.message,
            to: environment[WorkerEnvironment.Key.terminationMessagePath] ?? TerminationMessage.defaultPath,
            logger: logger)
        if outcome.exitCode != .success {
            logger.error("worker failed", metadata: ["exitCode": "\(outcome.exitCode.rawValue)", "reason": "\(outcome.message)"])
            throw ExitCode(outcome.exitCode.rawValue)
        }
        logger.info("worker finished", metadata: ["message": "\(outcome.message)"])
    }

    /// Info and above, to standard error.
    static func bootstrapLogging() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
    }
}
