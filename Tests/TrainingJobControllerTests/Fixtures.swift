import Foundation
import KubeClient
import TrainingJobAPI
@testable import TrainingJobController

/// Builders of jobs and observed worker Pods for the table tests.
enum Fixtures {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static func at(_ seconds: Int) -> Date { t0.addingTimeInterval(TimeInterval(seconds)) }
    static func time(_ seconds: Int) -> String { RFC3339.format(at(seconds)) }

    static func job(
        name: String = "mnist", workers: Int = 2, runPolicy: RunPolicy = RunPolicy(restartBackoffSeconds: 10),
        storage: StorageSpec = StorageSpec(), template: PodTemplateOverlay? = nil,
        status: TrainingJobStatus? = nil, annotations: [String: String]? = nil
    ) -> TrainingJob {
        var spec = TrainingJobSpec(workers: workers)
        spec.hyperparameters.batchSize = 64
        spec.runPolicy = runPolicy
        spec.storage = storage
        spec.template = template
        return TrainingJob(
            metadata: ObjectMeta(
                name: name, namespace: "ml", uid: "uid-\(name)", resourceVersion: "7", generation: 1,
                annotations: annotations),
            spec: spec, status: status)
    }

    /// A status in `phase` with `restartCount`, and the phase's condition True since `since`.
    static func status(
        _ phase: TrainingJobPhase, restartCount: Int = 0, disruptions: Int? = nil, since: Int = 0, startTime: Int? = 0,
        completionTime: Int? = nil, progress: TrainingProgress? = nil, ranks: [String: RankStatus]? = nil
    ) -> TrainingJobStatus {
        var status = TrainingJobStatus()
        status.setCondition(.created, status: ConditionStatus.true, reason: TrainingJobReason.jobCreated, message: "accepted", now: time(0))
        status.setPhase(phase, reason: "Test", message: "test", now: time(since))
        status.restartCount = restartCount
        status.disruptions = disruptions
        status.ranks = ranks
        status.startTime = startTime.map(time)
        status.completionTime = completionTime.map(time)
        status.progress = progress
        status.observedGeneration = 1
        return status
    }

    enum PodState {
        case pending
        case unschedulable(String)
        case running
        case ready
        case succeeded
        case failed(Int32, finishedAt: Int, message: String? = nil)
        case evicted
    }

    /// Worker Pod `rank` of `job` in `attempt`, in `state`.
    static func pod(
        _ job: TrainingJob, rank: Int, attempt: Int = 0, _ state: PodState, terminating: Bool = false
    ) -> Pod {
        var pod = WorkerPodBuilder.build(job, rank: rank, attempt: attempt, settings: WorkerPodSettings()).pod
        pod.metadata.uid = "pod-\(rank)-\(attempt)"
        if terminating { pod.metadata.deletionTimestamp = time(0) }
        var status = PodStatus()
        switch state {
        case .pending:
            status.phase = "Pending"
        case .unschedulable(let message):
            status.phase = "Pending"
            status.conditions = [PodCondition(type: "PodScheduled", status: "False", reason: "Unschedulable", message: message)]
        case .running:
            status.phase = "Running"
            status.containerStatuses = [ContainerStatus(name: "worker", state: ContainerState(running: .init()))]
        case .ready:
            status.phase = "Running"
            status.conditions = [PodCondition(type: "Ready", status: "True")]
            status.containerStatuses = [ContainerStatus(name: "worker", ready: true, state: ContainerState(running: .init()))]
        case .succeeded:
            status.phase = "Succeeded"
            status.containerStatuses = [ContainerStatus(name: "worker", state: ContainerState(terminated: .init(exitCode: 0, reason: "Completed")))]
        case .failed(let code, let finishedAt, let message):
            status.phase = "Failed"
            status.containerStatuses = [ContainerStatus(name: "worker", state: ContainerState(
                terminated: .init(exitCode: code, reason: "Error", message: message, finishedAt: time(finishedAt))))]
        case .evicted:
            status.phase = "Failed"
            status.reason = "Evicted"
            status.message = "The node was low on resource: memory."
        }
        pod.status = status
        return pod
    }

    static let allChildren = Set(ObservedTrainingJob.Child.allCases)

    static func observe(_ job: TrainingJob, _ pods: [Pod], children: Set<ObservedTrainingJob.Child> = allChildren) -> ObservedTrainingJob {
        ObservedTrainingJob(job: job, pods: pods, presentChildren: children)
    }

    /// The actions of a plan as short strings, for comparing.
    static func summary(_ actions: [ReconcileAction]) -> [String] {
        actions.map { action in
            switch action {
            case .createService(let s): "create service \(s.metadata.name ?? "")"
            case .createRingTokenSecret: "create secret"
            case .createServiceAccount: "create serviceaccount"
            case .createRole: "create role"
            case .createRoleBinding: "create rolebinding"
            case .createClaim(let c): "create claim \(c.metadata.name ?? "")"
            case .createPod(let p, _): "create \(p.metadata.name ?? "")@\(p.metadata.labels?[TrainingJobLabels.restartAttempt] ?? "?")"
            case .deletePod(let name, _): "delete \(name)"
            case .deleteJob: "delete job"
            }
        }
    }
}
