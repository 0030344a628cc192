import Foundation
import KubeClient
import TrainingJobAPI

/// What the operator reads from one worker Pod, reduced to what its
/// policies decide on.
public struct WorkerObservation: Sendable, Hashable {
    public enum Phase: String, Sendable, Hashable {
        case pending, running, succeeded, failed
    }

    public var name: String
    public var uid: String?
    /// The rank from the `replica-index` label; nil when missing or malformed.
    public var rank: Int?
    /// The restart attempt from the `restart-attempt` label; nil when missing or malformed.
    public var attempt: Int?
    public var phase: Phase
    /// Running with the Ready condition True.
    public var ready: Bool
    /// `metadata.deletionTimestamp` is set.
    public var terminating: Bool
    /// The worker container's exit code, when it has terminated.
    public var exitCode: Int32?
    /// `Error`, `OOMKilled`, `Evicted`, ...: the container's or the Pod's reason.
    public var reason: String?
    /// The container's termination message, else the Pod's status message.
    public var message: String?
    /// When the container terminated (RFC 3339 parsed), for ordering failures.
    public var finishedAt: Date?
    /// The Pod was evicted, preempted or lost with its node: such failures
    /// do not count toward `backoffLimit`.
    public var disrupted: Bool
    /// The `PodScheduled=False` message, while the Pod cannot be scheduled.
    public var unschedulableMessage: String?
    /// The worker container's waiting reason (`ErrImagePull`, ...), while it has not started.
    public var waitingReason: String?
    /// The exit code of every terminated container (not init or sidecar
    /// containers), by name; failure policy rules match on them.
    public var containerExitCodes: [String: Int32]
    /// The reason of the Pod's `DisruptionTarget=True` condition
    /// (`PreemptionByScheduler`, `EvictionByEvictionAPI`, ...), if any.
    public var disruptionReason: String?

    public init(
        name: String, uid: String? = nil, rank: Int?, attempt: Int?, phase: Phase, ready: Bool = false,
        terminating: Bool = false, exitCode: Int32? = nil, reason: String? = nil, message: String? = nil,
        finishedAt: Date? = nil, disrupted: Bool = false, unschedulableMessage: String? = nil,
        waitingReason: String? = nil, containerExitCodes: [String: Int32]? = nil, disruptionReason: String? = nil
    ) {
        self.name = name
        self.uid = uid
        self.rank = rank
        self.attempt = attempt
        self.phase = phase
        self.ready = ready
        self.terminating = terminating
        self.exitCode = exitCode
        self.reason = reason
        self.waitingReason = waitingReason
        self.message = message
        self.finishedAt = finishedAt
        self.disrupted = disrupted
        self.unschedulableMessage = unschedulableMessage
        self.containerExitCodes = containerExitCodes ?? exitCode.map { [WorkerLayout.containerName: $0] } ?? [:]
        self.disruptionReason = disruptionReason
    }

    /// Pod `status.reason` values that mean the Pod was taken away rather
    /// than that the worker failed.
    public static let disruptionReasons: Set<String> = [
        "Evicted", "Preempting", "NodeRestart", "DeletionByTaintManager", "NodeLost", "Terminated", "Shutdown",
    ]

    /// Reads a worker Pod.
    public init(_ pod: Pod) {
        let labels = pod.metadata.labels ?? [:]
        let status = pod.status
        let container = status?.containerStatuses?.first { $0.name == WorkerLayout.containerName }
            ?? status?.containerStatuses?.first
        let terminated = container?.state?.terminated
        var phase: Phase
        switch status?.phase {
        case "Running": phase = .running
        case "Succeeded": phase = .succeeded
        case "Failed": phase = .failed
        default: phase = .pending
        }
        if let terminated, phase == .running || phase == .pending {
            phase = terminated.exitCode == 0 ? .succeeded : .failed
        }
        let podReason = status?.reason
        let disruption = status?.conditions?.first { $0.type == "DisruptionTarget" && $0.status == "True" }
        let disruptionCondition = disruption != nil
        let scheduled = status?.conditions?.first { $0.type == "PodScheduled" }
        let unschedulable = phase == .pending && scheduled?.status == "False" ? (scheduled?.message ?? scheduled?.reason ?? "Unschedulable") : nil
        let ready = phase == .running && (status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false)
        let waiting = container?.state?.waiting
        var message = terminated?.message?.trimmingCharacters(in: .whitespacesAndNewlines)
        if message?.isEmpty ?? true { message = status?.message }
        if message?.isEmpty ?? true { message = waiting?.message }
        self.init(
            name: pod.metadata.name ?? "", uid: pod.metadata.uid,
            rank: labels[TrainingJobLabels.replicaIndex].flatMap { Int($0) },
            attempt: labels[TrainingJobLabels.restartAttempt].flatMap { Int($0) },
            phase: phase, ready: ready, terminating: pod.metadata.deletionTimestamp != nil,
            exitCode: terminated?.exitCode,
            reason: podReason ?? terminated?.reason,
            message: message,
            finishedAt: terminated?.finishedAt.flatMap { RFC3339.parse($0) },
            disrupted: disruptionCondition || podReason.map { Self.disruptionReasons.contains($0) } ?? false,
            unschedulableMessage: unschedulable,
            waitingReason: waiting?.reason,
            containerExitCodes: Dictionary(
                (status?.containerStatuses ?? []).compactMap { c in c.state?.terminated.map { (c.name, $0.exitCode) } },
                uniquingKeysWith: { first, _ in first }),
            disruptionReason: disruption.map { $0.reason ?? "" })
    }

    /// Container waiting reasons that mean the image cannot be had: retrying
    /// the ring cannot help, so the job fails at once.
    public static let imagePullFailureReasons: Set<String> = [
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
    ]

    /// The worker's image cannot be pulled.
    public var imagePullFailed: Bool {
        waitingReason.map { Self.imagePullFailureReasons.contains($0) } ?? false
    }

    /// Succeeded or Failed.
    public var isFinished: Bool { phase == .succeeded || phase == .failed }
}
