import Foundation
import KubeClient
import Logging

/// Runs one pod on the local node, from its first container start to its
/// last exit, and keeps its status in the API server true.
///
/// The lifecycle mirrors the kubelet's: refuse images that cannot run
/// (`ErrImagePull`), resolve Secrets and ConfigMaps (waiting with
/// `CreateContainerConfigError` until they exist), prepare volumes, project
/// the ServiceAccount token (`ServiceAccountTokenProjector`, kept fresh
/// while the containers run), run the
/// init containers one after another, then every container at once,
/// restarting them as `restartPolicy` says with a doubling back-off. A
/// sidecar (an init container with `restartPolicy: Always`) is started in
/// its turn and the next container starts as soon as its process has; it
/// is restarted whenever it exits while the pod runs, and once every main
/// container has ended it gets SIGTERM (SIGKILL after the pod's grace
/// period); the main containers alone decide the phase. Status
/// changes go to the API server through one writer, in order.
///
/// `run()` returns when no container will run again: because they all ended
/// for good, or because `stop(gracePeriod:)` was called (deletion) or the
/// task was cancelled (agent shutdown, which stops the processes with the
/// configured shutdown grace period).
actor PodWorker {
    let pod: Pod
    let uid: String
    let namespace: String
    let name: String
    let podIP: String
    private let configuration: NodeAgentConfiguration
    private let api: any NodeAgentAPI
    private let logger: Logger
    private let events: NodeEventRecorder
    private let processes = PodProcessTable()
    private let restartPolicy: String

    private var initRecords: [ContainerRecord]
    private var records: [ContainerRecord]
    private var initialized = false
    /// The main containers have ended: the sidecars are being stopped and do not restart.
    private var sidecarsStopping = false
    private var failure: (reason: String, message: String)?
    private let startTime: String
    private var publishedConditions: [PodCondition]
    private var confirmDeletion = false
    private var podGone = false
    /// The Pod's network namespace, once made (Pods on a `PodNetwork` only).
    private var sandbox: PodSandbox?
    private let dirty: AsyncStream<Void>
    private let dirtyContinuation: AsyncStream<Void>.Continuation

    init(
        pod: Pod, podIP: String, configuration: NodeAgentConfiguration, api: any NodeAgentAPI, events: NodeEventRecorder,
        logger: Logger
    ) {
        self.pod = pod
        self.uid = pod.metadata.uid ?? ""
        self.namespace = pod.metadata.namespace ?? "default"
        self.name = pod.metadata.name ?? ""
        self.podIP = podIP
        self.configuration = configuration
        self.api = api
        self.events = events
        var logger = logger
        logger[metadataKey: "pod"] = "\(pod.metadata.namespace ?? "default")/\(pod.metadata.name ?? "")"
        self.logger = logger
        self.restartPolicy = pod.spec?.restartPolicy ?? "Always"
        self.initRecords = (pod.spec?.initContainers ?? []).map {
            ContainerRecord(name: $0.name, image: $0.image ?? "", isSidecar: $0.isSidecar)
        }
        self.records = (pod.spec?.containers ?? []).map { ContainerRecord(name: $0.name, image: $0.image ?? "") }
        self.startTime = pod.status?.startTime ?? RFC3339.format(Date())
        self.publishedConditions = pod.status?.conditions ?? []
        (dirty, dirtyContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Stops the pod: SIGTERM to every process, SIGKILL after `gracePeriod`;
    /// no container starts or restarts afterwards. With `confirmDeletion`,
    /// `run()` finally deletes the pod object with grace period 0, as the
    /// kubelet confirms a graceful deletion. Safe to call more than once;
    /// the first call records `Killing` for each running container.
    func stop(gracePeriod: Duration, confirmDeletion: Bool, podGone: Bool = false) {
        if confirmDeletion { self.confirmDeletion = true }
        if podGone { self.podGone = true }
        if !processes.isStopping { recordKilling() }
        processes.stop(gracePeriod: gracePeriod)
    }

    /// `Killing` for each container that runs now.
    private func recordKilling() {
        for record in initRecords where record.isRunning { events.record(.killing(container: record.name, isInit: true), about: pod) }
        for record in records where record.isRunning { events.record(.killing(container: record.name), about: pod) }
    }

    /// Runs the pod until no container will run again (see the type's contract).
    /// Returns the pod's final phase as last written.
    func run() async -> String {
        let processes = self.processes
        let shutdownGrace = configuration.shutdownGracePeriod
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.writeStatusUpdates() }
                await self.lifecycleWithinDeadline()
                self.sandbox?.remove()
                self.dirtyContinuation.finish()
            }
        } onCancel: {
            processes.stop(gracePeriod: shutdownGrace)
        }
        if confirmDeletion && !podGone && !Task.isCancelled {
            do {
                try await api.delete(Pod.self, namespace: namespace, name: name, gracePeriodSeconds: 0, uid: uid)
                logger.info("pod deleted")
            } catch where error.isNotFoundAnswer || error.isConflictAnswer {
                // Already gone (or replaced by a pod of the same name).
            } catch {
                logger.warning("cannot confirm the deletion of the pod: \(error)")
            }
        }
        return builder.phase
    }

    // MARK: Lifecycle

    /// The lifecycle, bounded by `spec.activeDeadlineSeconds` when set: past
    /// the deadline the pod fails with reason `DeadlineExceeded` and its
    /// processes are stopped with the pod's grace period, as the kubelet does.
    private func lifecycleWithinDeadline() async {
        guard let seconds = pod.spec?.activeDeadlineSeconds else {
            await lifecycle()
            return
        }
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.lifecycle(); return true }
            group.addTask {
                try? await Task.sleep(for: .seconds(max(0, seconds)))
                if !Task.isCancelled { await self.deadlineExceeded() }
                return false
            }
            for await lifecycleEnded in group where lifecycleEnded {
                group.cancelAll()
            }
        }
    }

    private func deadlineExceeded() {
        guard !processes.isStopping else { return }
        failure = ("DeadlineExceeded", "Pod was active on the node longer than the specified deadline")
        logger.info("pod passed its active deadline")
        events.record(.deadlineExceeded, about: pod)
        recordKilling()
        processes.stop(gracePeriod: .seconds(pod.spec?.terminationGracePeriodSeconds ?? 30))
        publish()
    }

    private func lifecycle() async {
        let spec = pod.spec
        let allContainers = (spec?.initContainers ?? []) + (spec?.containers ?? [])
        if let missing = allContainers.first(where: { configuration.imageMapping.rule(for: $0.image ?? "") == nil }) {
            let message = ImageMapping.unavailableMessage(image: missing.image ?? "")
            let isInit = spec?.initContainers?.contains { $0.name == missing.name } ?? false
            events.record(.pullFailed(image: missing.image ?? "", detail: message, container: missing.name, isInit: isInit), about: pod)
            events.record(.failed("ErrImagePull", container: missing.name, isInit: isInit), about: pod)
            updateRecord(missing.name) { record in
                record.state = ContainerState(waiting: .init(reason: "ErrImagePull", message: message))
            }
            failure = ("ErrImagePull", message)
            logger.warning("\(message)")
            publish()
            return
        }
        guard let (launches, token) = await prepare() else { return }
        await withTaskGroup(of: Void.self) { group in
            if let token {
                let projector = serviceAccountTokens
                group.addTask { await projector.keepFresh(token) }
            }
            await runContainers(launches)
            group.cancelAll()
        }
    }

    /// Runs the init containers one after another (sidecars only until they
    /// have started), then every container at once; then stops the sidecars.
    private func runContainers(_ launches: [String: ContainerLaunch]) async {
        let spec = pod.spec
        await withTaskGroup(of: Void.self) { sidecars in
            var initFailed = false
            for container in spec?.initContainers ?? [] {
                let launch = launches[container.name]!
                if container.isSidecar {
                    sidecars.addTask { _ = await self.runContainer(container.name, launch: launch, isInit: true) }
                    await waitUntilStarted(sidecar: container.name)
                    continue
                }
                let succeeded = await runContainer(container.name, launch: launch, isInit: true)
                if !succeeded {
                    if !processes.isStopping { failure = ("Init:Error", "init container \"\(container.name)\" failed") }
                    publish()
                    initFailed = true
                    break
                }
            }
            if !initFailed && !processes.isStopping && !Task.isCancelled {
                initialized = true
                publish()
                await withTaskGroup(of: Void.self) { group in
                    for container in spec?.containers ?? [] {
                        let launch = launches[container.name]!
                        group.addTask { _ = await self.runContainer(container.name, launch: launch, isInit: false) }
                    }
                }
            }
            stopSidecars()
            await sidecars.waitForAll()
        }
        publish()
    }

    /// Waits until a process of the sidecar has started (as the kubelet waits
    /// for a sidecar without a startup probe), or the pod stops.
    private func waitUntilStarted(sidecar: String) async {
        while record(sidecar, isInit: true)?.hasStarted != true && !processes.isStopping && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGTERM to the running sidecars, SIGKILL after the pod's grace period;
    /// none restarts afterwards.
    private func stopSidecars() {
        guard !sidecarsStopping else { return }
        sidecarsStopping = true
        let running = initRecords.filter { $0.isSidecar && $0.isRunning }
        for record in running { events.record(.killing(container: record.name, isInit: true), about: pod) }
        processes.terminate(
            containers: running.map(\.name), gracePeriod: .seconds(pod.spec?.terminationGracePeriodSeconds ?? 30))
    }

    private var serviceAccountTokens: ServiceAccountTokenProjector {
        ServiceAccountTokenProjector(pod: pod, configuration: configuration, api: api, logger: logger)
    }

    /// Resolves references and volumes and projects the ServiceAccount token,
    /// retrying until they are available or the pod stops. Nil when the pod
    /// stopped first.
    private func prepare() async -> ([String: ContainerLaunch], ServiceAccountTokenProjector.Projection?)? {
        let layout = configuration.layout
        while !processes.isStopping && !Task.isCancelled {
            do {
                let references = PodVolumes.references(of: pod)
                var secrets: [String: Secret] = [:]
                for name in references.secrets {
                    secrets[name] = try await api.get(Secret.self, namespace: namespace, name: name)
                }
                var configMaps: [String: ConfigMap] = [:]
                for name in references.configMaps {
                    configMaps[name] = try await api.get(ConfigMap.self, namespace: namespace, name: name)
                }
                try preparePodDirectory()
                let volumes = try PodVolumes(layout: layout).prepare(pod: pod, secrets: secrets, configMaps: configMaps)
                let token = try await serviceAccountTokens.project()
                var isolation: ContainerLaunch.Isolation?
                if let network = configuration.podNetwork {
                    if sandbox == nil { sandbox = try PodSandbox.create(address: podIP, network: network) }
                    let names = HostsFile(directory: hostsDirectory)
                    isolation = ContainerLaunch.Isolation(
                        networkNamespace: sandbox!.path, hostname: Self.hostname(of: pod),
                        hostsFile: names.podFile(uid: uid).path, resolverFile: try names.writeResolverFile().path)
                }
                let canBindMount = PrivateMountNamespace.availability == .available
                if token != nil, configuration.podNetwork == nil, case .unavailable(let reason) = PrivateMountNamespace.availability {
                    logger.warning("the service-account token is not at \(KubeConfig.serviceAccountRoot) for this pod (\(reason)); it is in \(token!.directory.path), and that path stands for it in env, args and workingDir")
                }
                let builder = ContainerLaunchBuilder(
                    pod: pod, podIP: podIP, hostIP: configuration.hostIP, nodeName: configuration.nodeName,
                    volumeDirectories: volumes, secrets: secrets, configMaps: configMaps,
                    hostsFile: try HostsFile(directory: hostsDirectory).path(for: namespace).path,
                    apiServer: configuration.apiServerURL, serviceAccountDirectory: token?.directory.path,
                    canBindMount: canBindMount, isolation: isolation)
                var launches: [String: ContainerLaunch] = [:]
                for container in (pod.spec?.initContainers ?? []) + (pod.spec?.containers ?? []) {
                    _ = try layout.containerLog(namespace: namespace, pod: name, container: container.name)
                    launches[container.name] = try builder.launch(
                        container, mapping: configuration.imageMapping,
                        terminationMessagePath: try terminationMessageFile(container.name).path)
                }
                return (launches, token)
            } catch let error as NodeAgentError {
                logger.info("cannot create the containers yet: \(error.message)")
                // As the kubelet reports it: on the first init container, else on each container.
                let blocked = initRecords.first.map { [($0, true)] } ?? records.map { ($0, false) }
                for (record, isInit) in blocked where record.state.waiting != nil {
                    events.record(.pulled(image: record.image, container: record.name, isInit: isInit), about: pod)
                    events.record(.failed(error.message, container: record.name, isInit: isInit), about: pod)
                }
                for index in records.indices where records[index].state.waiting != nil {
                    records[index].state = ContainerState(
                        waiting: .init(reason: "CreateContainerConfigError", message: error.message))
                }
                publish()
            } catch {
                logger.warning("cannot read the pod's references: \(error)")
            }
            await pause(configuration.retryInterval)
        }
        return nil
    }

    var hostsDirectory: URL { configuration.dataDirectory.appendingPathComponent("hosts") }

    /// The Pod's hostname: `spec.hostname`, else its name cut to 63 characters, as the kubelet sets it.
    static func hostname(of pod: Pod) -> String {
        if let hostname = pod.spec?.hostname, !hostname.isEmpty { return hostname }
        var name = String((pod.metadata.name ?? "").prefix(63))
        while name.hasSuffix("-") || name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// The pod's directory; refused (`containerConfig`) for a namespace or
    /// name that would leave the data directory.
    private func podDirectory() throws(NodeAgentError) -> URL {
        try configuration.layout.podDirectory(namespace: namespace, name: name)
    }

    private func terminationMessageFile(_ container: String) throws(NodeAgentError) -> URL {
        try ConfinedPath.join(try podDirectory(), [("termination", "directory"), (container, "container name")], directory: false)
    }

    /// Creates the pod's directory (0700); the files of an earlier pod of the
    /// same name (its logs, its emptyDirs) are removed first.
    private func preparePodDirectory() throws(NodeAgentError) {
        let podDirectory = try self.podDirectory()
        let marker = podDirectory.appendingPathComponent(".uid")
        do {
            let owner = try? String(contentsOf: marker, encoding: .utf8)
            if owner != uid {
                if FileManager.default.fileExists(atPath: podDirectory.path) {
                    try FileManager.default.removeItem(at: podDirectory)
                }
                try PrivateFiles.makeDirectory(podDirectory.appendingPathComponent("termination"))
                try PrivateFiles.setMode(PrivateFiles.directoryMode, of: podDirectory)
                try Data(uid.utf8).write(to: marker)
            }
        } catch {
            throw NodeAgentError(.fileSystem, "cannot prepare \(podDirectory.path): \(error)")
        }
    }

    /// Runs one container until it ends for good; true when its last run exited 0.
    private func runContainer(_ container: String, launch: ContainerLaunch, isInit: Bool) async -> Bool {
        var backoff = configuration.initialRestartBackoff
        let isSidecar = isInit && record(container, isInit: true)?.isSidecar == true
        // `prepare()` has checked both paths; a name that fails here never starts.
        guard let logFile = try? configuration.layout.containerLog(namespace: namespace, pod: name, container: container),
              let messageFile = try? terminationMessageFile(container)
        else {
            updateRecord(container, isInit: isInit) { $0.finished = true }
            return false
        }
        while true {
            if processes.isStopping || Task.isCancelled || (isSidecar && sidecarsStopping) {
                updateRecord(container, isInit: isInit) { $0.finished = true }
                return false
            }
            try? FileManager.default.removeItem(at: messageFile)
            events.record(.pulled(image: launchImage(container, isInit: isInit), container: container, isInit: isInit), about: pod)
            let started = Date()
            let exit: LocalProcess.Exit
            var startError: String?
            do {
                let process = try LocalProcess.spawn(
                    arguments: launch.arguments, environment: launch.environment,
                    workingDirectory: launch.workingDirectory, logFile: logFile, bindMounts: launch.bindMounts,
                    isolation: launch.isolation)
                processes.add(process, container: container)
                updateRecord(container, isInit: isInit) { record in
                    record.state = ContainerState(running: .init(startedAt: RFC3339.format(started)))
                    record.containerID = "local://\(process.pid)"
                    record.hasStarted = true
                }
                events.record(.created(container: container, isInit: isInit), about: pod)
                events.record(.started(container: container, isInit: isInit), about: pod)
                publish()
                logger.info("container \(container) started as process \(process.pid)")
                exit = await process.waitForExit()
                processes.remove(container: container)
            } catch {
                startError = error.message
                exit = LocalProcess.Exit(code: 128, signal: nil)
                events.record(.failed(error.message, container: container, isInit: isInit), about: pod)
                logger.warning("container \(container) cannot start: \(error.message)")
            }
            var message = startError ?? Self.readMessage(messageFile)
            if message?.isEmpty == true { message = nil }
            let reason = startError != nil ? "StartError" : (exit.code == 0 ? "Completed" : "Error")
            let terminated = ContainerState.Terminated(
                exitCode: exit.code, signal: exit.signal, reason: reason, message: message,
                startedAt: RFC3339.format(started), finishedAt: RFC3339.format(Date()),
                containerID: record(container, isInit: isInit)?.containerID)
            logger.info("container \(container) exited with code \(exit.code)")
            let restart: Bool
            switch restartPolicy {
            case _ where isSidecar: restart = !sidecarsStopping
            case "Never": restart = false
            case "OnFailure": restart = exit.code != 0
            default: restart = !isInit || exit.code != 0
            }
            if !restart || processes.isStopping || Task.isCancelled {
                updateRecord(container, isInit: isInit) { record in
                    record.state = ContainerState(terminated: terminated)
                    record.finished = true
                }
                publish()
                return exit.code == 0
            }
            updateRecord(container, isInit: isInit) { record in
                record.lastState = ContainerState(terminated: terminated)
                record.restartCount += 1
                record.state = ContainerState(waiting: .init(
                    reason: "CrashLoopBackOff",
                    message: "back-off \(backoff) restarting failed container=\(container) pod=\(self.name)_\(self.namespace)(\(self.uid))"))
            }
            publish()
            events.record(.backOff(container: container, pod: "\(name)_\(namespace)(\(uid))", isInit: isInit), about: pod)
            await pause(backoff, endingEarlyForSidecar: isSidecar)
            backoff = min(backoff * 2, configuration.maximumRestartBackoff)
        }
    }

    /// The termination message a container left, at most 4096 bytes.
    static func readMessage(_ file: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return nil }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 4096)) ?? nil
        return data.map { String(decoding: $0, as: UTF8.self) }
    }

    private func launchImage(_ container: String, isInit: Bool) -> String {
        record(container, isInit: isInit)?.image ?? ""
    }

    private func record(_ container: String, isInit: Bool) -> ContainerRecord? {
        (isInit ? initRecords : records).first { $0.name == container }
    }

    private func updateRecord(_ container: String, isInit: Bool? = nil, _ change: (inout ContainerRecord) -> Void) {
        if isInit != true, let index = records.firstIndex(where: { $0.name == container }) {
            change(&records[index])
        } else if isInit != false, let index = initRecords.firstIndex(where: { $0.name == container }) {
            change(&initRecords[index])
        }
    }

    /// Sleeps for `duration`, ending early when the pod stops or the task is
    /// cancelled (or, for a sidecar, when the sidecars are being stopped).
    private func pause(_ duration: Duration, endingEarlyForSidecar isSidecar: Bool = false) async {
        let slice = Duration.milliseconds(100)
        var remaining = duration
        while remaining > .zero && !processes.isStopping && !Task.isCancelled && !(isSidecar && sidecarsStopping) {
            let step = min(slice, remaining)
            try? await Task.sleep(for: step)
            remaining -= step
        }
    }

    // MARK: Status

    private var builder: PodStatusBuilder {
        PodStatusBuilder(
            podIP: podIP, hostIP: configuration.hostIP, startTime: startTime, initContainers: initRecords,
            containers: records, initialized: initialized, failure: failure)
    }

    /// Marks the status as changed; the writer sends the newest state.
    private func publish() {
        dirtyContinuation.yield()
    }

    private func snapshot() -> PodStatus {
        let status = builder.status(previous: publishedConditions, now: RFC3339.format(Date()))
        publishedConditions = status.conditions ?? []
        return status
    }

    /// Writes the newest status after each change, in order, retrying a
    /// failed write a few times; stops when the pod no longer exists.
    private func writeStatusUpdates() async {
        for await _ in dirty {
            // On the agent's shutdown the pods are left as they are; the next
            // run marks them lost (NodeRestart).
            if podGone || Task.isCancelled { continue }
            let status = snapshot()
            var delay = Duration.milliseconds(200)
            for attempt in 1...5 {
                do {
                    let patch: JSONValue = .object(["status": try JSONValue(encoding: status)])
                    _ = try await api.mergePatchStatus(Pod.self, namespace: namespace, name: name, patch: patch)
                    break
                } catch where error.isNotFoundAnswer {
                    podGone = true
                    break
                } catch {
                    if Task.isCancelled || attempt == 5 {
                        logger.warning("cannot write the pod's status: \(error)")
                        break
                    }
                    try? await Task.sleep(for: delay)
                    delay *= 2
                }
            }
        }
    }
}
