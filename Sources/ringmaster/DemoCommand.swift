import ArgumentParser
import Foundation
import KubeClient
import LocalCluster
import Logging
import ServiceLifecycle
import TrainingJobAPI
import TrainingJobController

/// `ringmaster demo`: the whole product in one command. Starts a local
/// cluster with the operator (`ringmaster local up --with-operator` as a
/// child process) in a fresh data directory, applies the TrainingJob CRD and
/// the Fashion-MNIST sample, shows the job's progress one line per change,
/// and prints the finished job's status and where its model is.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train the Fashion-MNIST sample on a local cluster and show its progress.",
        discussion: """
            The cluster's logs (API server, node agent, operator) go to <data-dir>/cluster.log and each \
            worker's to <data-dir>/pods/<namespace>/<pod>/worker.log. Ctrl-C or SIGTERM stops the workers \
            and the cluster; should the demo be killed outright (SIGKILL), the cluster notices within a second \
            and stops itself and the workers. The exit status is non-zero when the job fails.
            """
    )

    @Option(help: "The cluster's data directory; removed and created afresh at start.")
    var dataDir: String = ".ringmaster/demo"

    @Option(help: "The TrainingJob manifest to run (default: config/samples/ringmaster_v1alpha1_trainingjob.yaml under the package root).")
    var sample: String?

    @Option(help: "The CRD manifest to apply (default: crds/trainingjobs.ringmaster.dev.yaml under the package root, else the CRD built into this executable).")
    var crd: String?

    @Option(help: "How often rank 0 reports progress into the job's status, in seconds.")
    var progressIntervalSeconds: Double = 2

    @Flag(help: "Leave the cluster running after the job finishes, for exploring with kubectl (Ctrl-C stops it).")
    var keepRunning = false

    func run() async throws {
        let dataDirectory = URL(fileURLWithPath: dataDir).standardizedFileURL
        let root = Self.packageRoot()
        let sampleURL = URL(fileURLWithPath: sample ?? root.appendingPathComponent("config/samples/ringmaster_v1alpha1_trainingjob.yaml").path)
        let crdYAML = try loadCRD(root: root)
        let sampleYAML: String
        do {
            sampleYAML = try String(contentsOf: sampleURL, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the sample \(sampleURL.path): \(error.localizedDescription); run from the package root or pass --sample")
        }
        try? FileManager.default.removeItem(at: dataDirectory)
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)

        let session = DemoSession(
            dataDirectory: dataDirectory, crdYAML: crdYAML, sampleYAML: sampleYAML,
            progressIntervalSeconds: progressIntervalSeconds, keepRunning: keepRunning)
        var logger = Logger(label: "ringmaster.demo")
        logger.logLevel = .warning
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: session, successTerminationBehavior: .gracefullyShutdownGroup)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        let outcome = session.outcome
        switch outcome {
        case .succeeded, .interrupted:
            return
        case .failed(let message):
            FileHandle.standardError.write(Data("demo failed: \(message)\n".utf8))
            throw ExitCode(1)
        }
    }

    private func loadCRD(root: URL) throws -> String {
        let path = crd ?? root.appendingPathComponent("crds/\(TrainingJobCRD.fileName)").path
        if let text = try? String(contentsOfFile: path, encoding: .utf8) { return text }
        if crd != nil { throw ValidationError("cannot read the CRD \(path)") }
        return try TrainingJobCRD.yaml()
    }

    /// The nearest directory at or above the current one holding Package.swift, else the current directory.
    static func packageRoot() -> URL {
        var url = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }
}
