import ArgumentParser
import Foundation
import Logging
import TrainingJobAPI

/// `ringmaster-worker report-progress`: see `ProgressSidecar`.
struct ReportProgressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-progress",
        abstract: "Reports a bring-your-own trainer's progress file to the TrainingJob's status (the progress sidecar).",
        discussion: """
        Follows the JSON lines file \(ProgressContract.fileVariable) (see docs/progress-contract.md) and patches the
        status of the TrainingJob \(WorkerEnvironment.Key.jobName) in \(WorkerEnvironment.Key.jobNamespace) at most once per
        \(WorkerEnvironment.Key.progressIntervalSeconds) (default 5), with the Pod's service account or KUBECONFIG.
        Runs until SIGTERM, then reads the file to its end, sends the rest and exits 0.
        """)

    func run() async throws {
        WorkerCommand.bootstrapLogging()
        let code = await ProgressSidecar.run(
            environment: ProcessInfo.processInfo.environment, logger: Logger(label: "ringmaster-worker"))
        if code != 0 { throw ExitCode(code) }
    }
}
