import ArgumentParser
import Foundation
import LocalCluster
import Logging
import ServiceLifecycle
import TrainingJobController

/// `ringmaster local ...`: a single-machine Kubernetes for development and demos.
struct LocalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Run a single-machine Kubernetes (API server backed by SQLite) for development and demos.",
        subcommands: [LocalUpCommand.self]
    )
}

/// `ringmaster local up`: serve the local cluster until SIGINT/SIGTERM.
struct LocalUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the local API server and write a kubeconfig for it.",
        discussion: """
            State lives in --data-dir (SQLite); a restart on the same directory comes back with every object.
            It serves HTTPS only, with a CA made on the first start (<data-dir>/pki/, reused later); the kubeconfig holds
            that CA and an administrator's client certificate (ringmaster-admin, group system:masters). Every request must
            authenticate with a client certificate from that CA or a bearer token (--token-auth-file); others get 401.
            RBAC is enforced on every request; Deployments and StatefulSets are stored and served but not run; CEL rules in CRDs are not evaluated.
            Pods run as local processes that die with this one, even if it is killed with SIGKILL (Linux, through setpriv --pdeathsig).
            Each Pod gets network, mount and UTS namespaces of its own: an address on a bridge (rmbr<N>, a /22 of 10.244.0.0/14),
            its hostname, its volumes at their mount paths and the cluster's Pod names in /etc/hosts; this needs root.
            Images run through a table: the Ringmaster worker image runs ringmaster-worker; --image IMAGE=host runs IMAGE
            on this machine's root filesystem (its command as given), --image IMAGE=/path runs that executable; others fail ErrImagePull.
            """
    )

    @Option(help: "Port on 127.0.0.1 to listen on (0 picks a free port).")
    var port: Int = 0

    @Option(help: "Directory holding the cluster's state (default: ~/.ringmaster/local, or ./.ringmaster without a home directory).")
    var dataDir: String?

    @Option(help: "Where to write the kubeconfig (default: <data-dir>/kubeconfig).")
    var kubeconfig: String?

    @Option(help: ArgumentHelp(
        "A CSV file of bearer tokens, one a line: token,user,uid,\"group1,group2\" (as kube-apiserver's --token-auth-file).",
        valueName: "file"))
    var tokenAuthFile: String?

    @Option(help: "Fault injection for client testing, e.g. 'error=500:0.1:get|list,drop-watch-after=5,latency-ms=50'. Off by default.")
    var fault: String?

    @Flag(help: "Also run the TrainingJob operator in this process.")
    var withOperator = false

    @Option(help: "With --with-operator: how long a worker waits on a ring peer before the ring is declared broken, in seconds.")
    var peerTimeoutSeconds: Double = 30

    @Option(help: "With --with-operator: how often rank 0 reports progress into the status, in seconds.")
    var progressIntervalSeconds: Double = 5

    @Option(help: ArgumentHelp(
        "With --with-operator: the operator's RBAC manifests (ServiceAccount, ClusterRole, Role and bindings, as in config/rbac); the operator runs as that ServiceAccount in ringmaster-system (default: config/rbac under the package root).",
        valueName: "dir"))
    var operatorRBAC: String?

    @Option(help: "The executable run for the Ringmaster worker image (default: ringmaster-worker next to this executable).")
    var workerExecutable: String?

    @Option(name: .customLong("image"), help: ArgumentHelp(
        "Run every image with this image's repository name (registry and tag do not count) on this machine's root filesystem (IMAGE=host: the container's command runs as given), or as an executable (IMAGE=/path); repeatable.",
        valueName: "IMAGE=host|/path"))
    var images: [String] = []

    @Option(help: "Stop the cluster and its workers when the process with this id exits, even if it is killed (ringmaster demo passes its own).")
    var parentPid: Int32?

    func run() async throws {
        var logger = Logger(label: "ringmaster.local")
        logger.logLevel = .info
        let dataDirectory = URL(fileURLWithPath: dataDir ?? Self.defaultDataDirectory()).standardizedFileURL
        let kubeconfigURL = kubeconfig.map { URL(fileURLWithPath: $0) } ?? Layout(dataDirectory: dataDirectory).defaultKubeconfig
        let faults = try fault.map(FaultInjection.init(parsing:)) ?? .none
        let rbacDirectory = URL(fileURLWithPath: operatorRBAC ?? DemoCommand.packageRoot().appendingPathComponent("config/rbac").path)
        if withOperator && !FileManager.default.fileExists(atPath: rbacDirectory.path) {
            throw ValidationError("--operator-rbac: \(rbacDirectory.path) does not exist; run from the repository (its config/rbac is the default) or pass --operator-rbac DIR")
        }
        let imageRules = try images.map { text throws(NodeAgentError) in try ImageMapping.rule(parsing: text) }
        let network: PodNetwork
        do {
            network = try PodNetwork.acquire()
        } catch {
            throw ValidationError("cannot start the local cluster: \(error.message)")
        }
        defer { network.release() }
        logger.info("Pod network", metadata: ["bridge": "\(network.bridge)", "gateway": "\(network.gateway)/\(network.prefixLength)"])
        var options = LocalAPIServer.Options()
        if let tokenAuthFile {
            options.tokenAuthenticators.append(try StaticTokenAuthenticator(contentsOf: URL(fileURLWithPath: tokenAuthFile)))
        }
        let server = LocalAPIServer(options: options, logger: logger)
        let readiness = LocalClusterReadiness()
        let apiServer = LocalAPIServerService(
            server: server, port: port, additionalHosts: [network.gateway], dataDirectory: dataDirectory, kubeconfig: kubeconfigURL, faults: faults,
            onReady: { url in
                let text = "Local cluster API server: \(url.absoluteString)\nexport KUBECONFIG=\(kubeconfigURL.path)\n"
                FileHandle.standardOutput.write(Data(text.utf8))
                readiness.announce(url)
            })
        // Beside the API server, once it serves: the node agent (runs the
        // pods as local processes) and, with --with-operator, the operator.
        // The group stops them in reverse order: operator, node agent, server.
        let extraServices: [any Service] = LocalClusterServices(
            dataDirectory: dataDirectory, kubeconfig: kubeconfigURL, readiness: readiness,
            workerExecutable: workerExecutable, imageRules: imageRules, podNetwork: network, withOperator: withOperator,
            operatorRBACDirectory: rbacDirectory,
            operatorSettings: WorkerPodSettings(
                progressIntervalSeconds: progressIntervalSeconds, peerTimeoutSeconds: peerTimeoutSeconds),
            logger: logger
        ).services()
        // Last, so stopped first; its return (the parent is gone) stops the group.
        let parentWatch: [ServiceGroupConfiguration.ServiceConfiguration] = parentPid.map {
            [.init(
                service: LocalClusterParentWatch(parentPID: $0, logger: logger),
                successTerminationBehavior: .gracefullyShutdownGroup)]
        } ?? []
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: apiServer)] + extraServices.map { .init(service: $0) } + parentWatch,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    static func defaultDataDirectory() -> String {
        if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty {
            return (home as NSString).appendingPathComponent(".ringmaster/local")
        }
        return ".ringmaster"
    }
}
