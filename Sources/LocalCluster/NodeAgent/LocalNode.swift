import Foundation
import KubeClient
import Logging

/// The node's view of the cluster and its decisions: which pods to bind,
/// which to start, stop, fail or confirm deleted, and what the hosts files say.
///
/// Level-triggered: every pass looks at the whole cached state (fed by the
/// pod and claim watches) and acts on the difference, so a missed event or
/// a restart of the agent only delays a decision. Passes run one at a time.
actor LocalNode {
    private let configuration: NodeAgentConfiguration
    private let api: any NodeAgentAPI
    private let logger: Logger
    private let fit: NodeFit
    private let events: NodeEventRecorder

    /// Pods by UID, as last seen from the API server.
    private var pods: [String: Pod] = [:]
    private var podsListed = false
    /// Claim names by namespace.
    private var claims: [String: Set<String>] = [:]
    /// The pods this node runs now.
    private var workers: [String: PodWorker] = [:]
    /// Every pod this instance of the agent has run: never marked as lost.
    private var handled: Set<String> = []
    /// Pods whose deletion has been confirmed.
    private var confirmed: Set<String> = []
    private var addresses: PodAddressPool
    private var hostsEntries: [String: [HostsEntry]] = [:]
    /// The text last written to each Pod's own hosts file, by uid (Pods on a `PodNetwork`).
    private var podHostsTexts: [String: String] = [:]
    private let hostsFile: HostsFile

    private let wakeups: AsyncStream<Void>
    private let wakeupContinuation: AsyncStream<Void>.Continuation
    private let starts: AsyncStream<PodWorker>
    private let startContinuation: AsyncStream<PodWorker>.Continuation

    init(configuration: NodeAgentConfiguration, api: any NodeAgentAPI, logger: Logger) {
        self.configuration = configuration
        self.api = api
        self.logger = logger
        self.fit = NodeFit(nodeName: configuration.nodeName, labels: configuration.labels, capacity: configuration.capacity)
        self.events = NodeEventRecorder(host: configuration.nodeName, writer: NodeAgentEventWriter(api: api), logger: logger)
        self.addresses = configuration.addressPool
        self.hostsFile = HostsFile(directory: configuration.dataDirectory.appendingPathComponent("hosts"))
        (wakeups, wakeupContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (starts, startContinuation) = AsyncStream.makeStream(of: PodWorker.self)
    }

    /// Runs the node until the task is cancelled: the watches, the passes,
    /// a periodic pass every `retryInterval`, and one task per running pod.
    func run() async throws {
        let retry = configuration.retryInterval
        await NodeRegistration(configuration: configuration, api: api, logger: logger).register()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.events.run() }
            group.addTask { try await self.watchPods() }
            group.addTask { try await ClaimBinder(configuration: self.configuration, api: self.api, logger: self.logger, node: self).run() }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: retry)
                    self.wake()
                }
            }
            group.addTask {
                for await _ in self.wakeups {
                    await self.reconcile()
                }
            }
            for await worker in starts {
                group.addTask {
                    let phase = await worker.run()
                    await self.finished(worker, phase: phase)
                }
            }
            group.cancelAll()
        }
    }

    nonisolated func wake() {
        wakeupContinuation.yield()
    }

    // MARK: Watching

    private func watchPods() async throws {
        try await Informer(api: api, logger: logger, kind: "pods").run(Pod.self) { items in
            await self.replacePods(items)
        } onEvent: { type, pod in
            await self.observe(type, pod)
        }
    }

    private func replacePods(_ items: [Pod]) {
        var fresh: [String: Pod] = [:]
        for pod in items { if let uid = pod.metadata.uid { fresh[uid] = pod } }
        pods = fresh
        podsListed = true
        wake()
    }

    private func observe(_ type: WatchEventType, _ pod: Pod) {
        guard let uid = pod.metadata.uid else { return }
        switch type {
        case .deleted:
            pods[uid] = nil
            if workers[uid] == nil, let namespace = pod.metadata.namespace, let name = pod.metadata.name {
                removePodDirectory(namespace: namespace, name: name, uid: uid)
            }
        case .added, .modified: store(pod)
        case .bookmark, .error: return
        }
        wake()
    }

    /// Keeps the newer of the cached and the given version of a pod.
    private func store(_ pod: Pod) {
        guard let uid = pod.metadata.uid else { return }
        if let cached = pods[uid], let old = Int(cached.metadata.resourceVersion ?? ""),
           let new = Int(pod.metadata.resourceVersion ?? ""), new < old {
            return
        }
        pods[uid] = pod
    }

    func claimsChanged(_ claimsByNamespace: [String: Set<String>]) {
        claims = claimsByNamespace
        wake()
    }

    // MARK: The pass

    private func reconcile() async {
        guard podsListed else { return }
        let me = configuration.nodeName

        // Pods that are gone: stop their processes.
        for (uid, worker) in workers where pods[uid] == nil {
            let grace = Duration.seconds(worker.pod.spec?.terminationGracePeriodSeconds ?? 30)
            await worker.stop(gracePeriod: grace, confirmDeletion: false, podGone: true)
        }

        let ordered = pods.values.sorted {
            ($0.metadata.creationTimestamp ?? "", $0.metadata.name ?? "") < ($1.metadata.creationTimestamp ?? "", $1.metadata.name ?? "")
        }
        for pod in ordered {
            guard let uid = pod.metadata.uid else { continue }
            let nodeName = pod.spec?.nodeName ?? ""
            let phase = pod.status?.phase ?? "Pending"
            let terminal = phase == "Succeeded" || phase == "Failed"
            if pod.metadata.deletionTimestamp != nil {
                if let worker = workers[uid] {
                    let seconds = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30
                    await worker.stop(gracePeriod: .seconds(max(0, seconds)), confirmDeletion: true)
                } else if nodeName.isEmpty || nodeName == me {
                    await confirmDeletion(pod)
                }
                continue
            }
            if nodeName.isEmpty {
                if !terminal { await schedule(pod) }
                continue
            }
            guard nodeName == me, workers[uid] == nil, !handled.contains(uid), !terminal else { continue }
            if pod.status?.startTime != nil {
                await markLost(pod)
            } else {
                start(pod)
            }
        }
        refreshHostsFiles()
    }

    /// The requests of the pods that hold capacity on this node.
    private func allocated(excluding uid: String) -> ResourceAmounts {
        var total = ResourceAmounts()
        for (other, pod) in pods where other != uid && pod.spec?.nodeName == configuration.nodeName {
            let phase = pod.status?.phase ?? "Pending"
            let running = workers[other] != nil
            if !running && (phase == "Succeeded" || phase == "Failed" || handled.contains(other)) { continue }
            if let requests = try? ResourceAmounts(requestsOf: pod) { total = total + requests }
        }
        return total
    }

    private func schedule(_ pod: Pod) async {
        guard let uid = pod.metadata.uid, let name = pod.metadata.name else { return }
        let scheduler = pod.spec?.schedulerName ?? "default-scheduler"
        guard scheduler == "default-scheduler" else { return }
        let namespace = pod.metadata.namespace ?? "default"
        let decision: SchedulingDecision
        do {
            let requests = try ResourceAmounts(requestsOf: pod)
            let known = claims[namespace] ?? []
            let missing = PodVolumes.claims(of: pod).filter { !known.contains($0) }
            decision = fit.decide(pod: pod, requests: requests, allocated: allocated(excluding: uid), missingClaims: missing)
        } catch {
            decision = .unschedulable(message: "0/1 nodes are available: \(error.message).")
        }
        do {
            switch decision {
            case .fits:
                let patch: JSONValue = .object(["spec": .object(["nodeName": .string(configuration.nodeName)])])
                let bound = try await api.mergePatch(Pod.self, namespace: namespace, name: name, patch: patch)
                store(bound)
                let condition = PodCondition(type: "PodScheduled", status: "True", lastTransitionTime: RFC3339.format(Date()))
                let status = try await api.mergePatchStatus(
                    Pod.self, namespace: namespace, name: name,
                    patch: .object(["status": .object(["conditions": .array([try JSONValue(encoding: condition)])])]))
                store(status)
                events.record(.scheduled(namespace: namespace, pod: name, node: configuration.nodeName), about: status)
                logger.info("pod \(namespace)/\(name) bound to \(configuration.nodeName)")
                if let current = pods[uid] { start(current) }
            case .unschedulable(let message):
                let existing = pod.status?.conditions?.first { $0.type == "PodScheduled" }
                if existing?.status == "False" && existing?.reason == "Unschedulable" && existing?.message == message { return }
                let condition = PodCondition(
                    type: "PodScheduled", status: "False", reason: "Unschedulable", message: message,
                    lastTransitionTime: RFC3339.format(Date()))
                let updated = try await api.mergePatchStatus(
                    Pod.self, namespace: namespace, name: name,
                    patch: .object(["status": .object([
                        "phase": .string("Pending"),
                        "conditions": .array([try JSONValue(encoding: condition)]),
                    ])]))
                store(updated)
                events.record(.failedScheduling(message), about: updated)
                logger.info("pod \(namespace)/\(name) is unschedulable: \(message)")
            }
        } catch where error.isNotFoundAnswer {
            pods[uid] = nil
        } catch {
            logger.warning("cannot schedule pod \(namespace)/\(name): \(error)")
        }
    }

    private func start(_ pod: Pod) {
        guard let uid = pod.metadata.uid, workers[uid] == nil else { return }
        let address: String
        do {
            address = try addresses.address(for: uid)
        } catch {
            logger.error("cannot start pod \(pod.metadata.name ?? ""): \(error.message)")
            return
        }
        let worker = PodWorker(pod: pod, podIP: address, configuration: configuration, api: api, events: events, logger: logger)
        workers[uid] = worker
        handled.insert(uid)
        refreshHostsFiles()
        startContinuation.yield(worker)
    }

    private func finished(_ worker: PodWorker, phase: String) {
        workers[worker.uid] = nil
        addresses.release(worker.uid)
        if podHostsTexts.removeValue(forKey: worker.uid) != nil { hostsFile.removePodFile(uid: worker.uid) }
        refreshHostsFiles()
        if pods[worker.uid] == nil && !pods.values.contains(where: {
            $0.metadata.namespace == worker.namespace && $0.metadata.name == worker.name
        }) {
            removePodDirectory(namespace: worker.namespace, name: worker.name, uid: worker.uid)
        }
        wake()
    }

    /// Removes a pod's directory if it still belongs to the pod with `uid`.
    private func removePodDirectory(namespace: String, name: String, uid: String) {
        guard let directory = try? configuration.layout.podDirectory(namespace: namespace, name: name) else { return }
        let owner = try? String(contentsOf: directory.appendingPathComponent(".uid"), encoding: .utf8)
        if owner == uid { try? FileManager.default.removeItem(at: directory) }
    }

    /// A pod that an earlier run of the agent started: its processes are
    /// gone with that run, so the pod fails as on a lost node.
    private func markLost(_ pod: Pod) async {
        guard let uid = pod.metadata.uid, let name = pod.metadata.name else { return }
        handled.insert(uid)
        let namespace = pod.metadata.namespace ?? "default"
        let now = RFC3339.format(Date())
        var status = pod.status ?? PodStatus()
        status.phase = "Failed"
        status.reason = "NodeRestart"
        status.message = "The node agent restarted; the processes of this pod did not survive it."
        status.containerStatuses = status.containerStatuses?.map { container in
            var container = container
            if container.state?.terminated == nil {
                container.state = ContainerState(terminated: .init(
                    exitCode: 137, reason: "ContainerStatusUnknown",
                    message: "The container could not be located when the pod was terminated",
                    startedAt: container.state?.running?.startedAt, finishedAt: now))
            }
            container.ready = false
            container.started = false
            return container
        }
        status.conditions = status.conditions?.map { condition in
            var condition = condition
            if (condition.type == "Ready" || condition.type == "ContainersReady") && condition.status != "False" {
                condition.status = "False"
                condition.reason = "PodFailed"
                condition.lastTransitionTime = now
            }
            return condition
        }
        do {
            let patch: JSONValue = .object(["status": try JSONValue(encoding: status)])
            store(try await api.mergePatchStatus(Pod.self, namespace: namespace, name: name, patch: patch))
            logger.info("pod \(namespace)/\(name) failed: its processes did not survive the agent's restart")
        } catch where error.isNotFoundAnswer {
            pods[uid] = nil
        } catch {
            handled.remove(uid)
            logger.warning("cannot mark pod \(namespace)/\(name) as failed: \(error)")
        }
    }

    private func confirmDeletion(_ pod: Pod) async {
        guard let uid = pod.metadata.uid, let name = pod.metadata.name, !confirmed.contains(uid) else { return }
        let namespace = pod.metadata.namespace ?? "default"
        do {
            try await api.delete(Pod.self, namespace: namespace, name: name, gracePeriodSeconds: 0, uid: uid)
            confirmed.insert(uid)
        } catch where error.isNotFoundAnswer || error.isConflictAnswer {
            confirmed.insert(uid)
        } catch {
            logger.warning("cannot confirm the deletion of pod \(namespace)/\(name): \(error)")
        }
        removePodDirectory(namespace: namespace, name: name, uid: uid)
    }

    // MARK: Hosts files

    private func refreshHostsFiles() {
        var entries: [String: [HostsEntry]] = [:]
        for worker in workers.values { entries[worker.namespace, default: []] = [] }
        for (uid, worker) in workers {
            let spec = worker.pod.spec
            guard let hostname = spec?.hostname, let subdomain = spec?.subdomain, !hostname.isEmpty, !subdomain.isEmpty,
                  let address = addresses.assignedAddress(of: uid)
            else { continue }
            let entry = HostsEntry(address: address, hostname: hostname, subdomain: subdomain, namespace: worker.namespace)
            if HostsFile.isWritable(entry) { entries[worker.namespace, default: []].append(entry) }
        }
        for namespace in Set(entries.keys).union(hostsEntries.keys) {
            let new = (entries[namespace] ?? []).sorted()
            if hostsEntries[namespace] == new, let file = try? hostsFile.path(for: namespace), FileManager.default.fileExists(atPath: file.path) {
                continue
            }
            do {
                try hostsFile.write(new, namespace: namespace)
                hostsEntries[namespace] = new
            } catch {
                logger.error("\(error.message)")
            }
        }
        guard configuration.podNetwork != nil else { return }
        for (uid, worker) in workers {
            guard let address = addresses.assignedAddress(of: uid) else { continue }
            let text = HostsFile.renderPodFile(
                address: address, hostname: PodWorker.hostname(of: worker.pod), namespaceEntries: entries[worker.namespace] ?? [])
            guard podHostsTexts[uid] != text else { continue }
            do {
                try hostsFile.writePodFile(uid: uid, text: text)
                podHostsTexts[uid] = text
            } catch {
                logger.error("\(error.message)")
            }
        }
    }
}
