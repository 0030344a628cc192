import Foundation
import KubeClient

/// What the node agent knows of one container of a pod it runs.
struct ContainerRecord: Sendable, Hashable {
    var name: String
    var image: String
    var restartCount: Int32 = 0
    var state: ContainerState
    var lastState: ContainerState?
    var containerID: String?
    /// The container has ended and will not run again.
    var finished = false
    /// An init container with `restartPolicy: Always`: it runs beside the
    /// main containers and does not decide the pod's phase.
    var isSidecar: Bool
    /// A process of this container has been started at least once.
    var hasStarted = false

    init(name: String, image: String, isSidecar: Bool = false) {
        self.name = name
        self.image = image
        self.isSidecar = isSidecar
        self.state = ContainerState(waiting: .init(reason: "ContainerCreating"))
    }

    var isRunning: Bool { state.running != nil }
    var exitCode: Int32? { state.terminated?.exitCode }

    var status: ContainerStatus {
        ContainerStatus(
            name: name, ready: isRunning, restartCount: restartCount, state: state, lastState: lastState,
            image: image, imageID: image.isEmpty ? nil : "local://\(image)", containerID: containerID,
            started: isRunning)
    }
}

/// The pure computation of a pod's status from its containers, as the
/// kubelet's status manager does it.
struct PodStatusBuilder: Sendable {
    var podIP: String
    var hostIP: String
    var startTime: String
    var initContainers: [ContainerRecord]
    var containers: [ContainerRecord]
    var initialized: Bool
    /// Set when the pod failed as a whole (for example an image that cannot run).
    var failure: (reason: String, message: String)?

    var sidecars: [ContainerRecord] { initContainers.filter(\.isSidecar) }

    /// `Pending`, `Running`, `Succeeded` or `Failed`. Only the main
    /// containers decide between `Succeeded` and `Failed`, once the sidecars
    /// have stopped too (the node agent stops them after the main containers).
    var phase: String {
        if failure != nil { return "Failed" }
        if initialized && !containers.isEmpty && containers.allSatisfy(\.finished) && !sidecars.contains(where: \.isRunning) {
            return containers.allSatisfy { $0.exitCode == 0 } ? "Succeeded" : "Failed"
        }
        if initialized && containers.contains(where: { $0.isRunning || $0.restartCount > 0 || $0.finished }) {
            return "Running"
        }
        return "Pending"
    }

    /// The status, with conditions whose `lastTransitionTime` is carried over
    /// from `previous` when their status did not change.
    func status(previous: [PodCondition], now: String) -> PodStatus {
        let phase = self.phase
        let terminal = phase == "Succeeded" || phase == "Failed"
        // As the kubelet: a running sidecar counts toward readiness too.
        let unready = (sidecars + containers).filter { !$0.isRunning }.map(\.name)
        var conditions: [PodCondition] = []
        func add(_ type: String, _ value: Bool, reason: String? = nil, message: String? = nil) {
            let status = value ? "True" : "False"
            let old = previous.first { $0.type == type }
            let time = old?.status == status ? (old?.lastTransitionTime ?? now) : now
            conditions.append(PodCondition(
                type: type, status: status, reason: reason, message: message, lastTransitionTime: time))
        }
        add("PodScheduled", true)
        if initialized || initContainers.isEmpty {
            add("Initialized", true)
        } else {
            let pending = initContainers.filter { !$0.finished && !($0.isSidecar && $0.hasStarted) }.map(\.name)
            add("Initialized", false, reason: "ContainersNotInitialized",
                message: "containers with incomplete status: [\(pending.joined(separator: " "))]")
        }
        let ready = !terminal && unready.isEmpty && !containers.isEmpty
        let reason = terminal ? "PodCompleted" : (ready ? nil : "ContainersNotReady")
        let message = terminal || ready ? nil : "containers with unready status: [\(unready.joined(separator: " "))]"
        add("ContainersReady", ready, reason: reason, message: message)
        add("Ready", ready, reason: reason, message: message)
        return PodStatus(
            phase: phase, conditions: conditions, podIP: podIP, podIPs: [PodIP(ip: podIP)], hostIP: hostIP,
            startTime: startTime, reason: failure?.reason, message: failure?.message,
            containerStatuses: containers.map(\.status),
            initContainerStatuses: initContainers.isEmpty ? nil : initContainers.map(\.status))
    }
}
