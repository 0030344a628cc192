import Foundation
import KubeClient
import Training
import TrainingJobAPI

/// Reports progress and heartbeats by a JSON merge patch of the `status` subresource of the
/// TrainingJob (`trainingjobs.ringmaster.dev/v1alpha1`) `name` in `namespace`.
struct TrainingJobStatusReporter: ProgressReporter {
    let client: KubernetesClient
    let name: String
    let namespace: String

    func report(_ report: WorkerStatusReport) async throws {
        let body = try JSONDecoder().decode(JSONValue.self, from: Self.patchBody(report))
        _ = try await client.resource(TrainingJob.self).patchStatus(name, in: namespace, .merge(body))
    }

    /// `{"status":{"progress":{...},"checkpoint":{...},"metrics":{...},"artifact":{...},"ranks":{"<rank>":{...}}}}`
    /// with only the parts the report carries. A heartbeat names only its own
    /// rank's key, so the merge patch leaves the other ranks' entries alone.
    static func patchBody(_ report: WorkerStatusReport) throws -> Data {
        var status = TrainingJobStatus()
        if let progress = report.progress {
            status.progress = TrainingJobAPI.TrainingProgress(
                epoch: progress.epoch, totalEpochs: progress.totalEpochs, step: progress.step,
                loss: finite(progress.loss), accuracy: finite(progress.accuracy),
                samplesPerSecond: finite(progress.samplesPerSecond),
                lastUpdateTime: RFC3339.format(report.progressTime ?? Date()))
        }
        if let checkpoint = report.checkpoint {
            status.checkpoint = CheckpointStatus(step: checkpoint.globalStep, path: checkpoint.path, time: RFC3339.format(checkpoint.time))
        }
        if let final = report.final {
            status.metrics = TrainingMetrics(
                testAccuracy: finite(final.testAccuracy), testLoss: finite(final.testLoss),
                trainingSeconds: finite(final.trainingSeconds), samplesPerSecond: finite(final.samplesPerSecond))
            if let path = final.artifactPath { status.artifact = ArtifactStatus(path: path) }
        }
        if let heartbeat = report.heartbeat {
            status.ranks = [
                String(heartbeat.rank): RankStatus(
                    attempt: heartbeat.attempt, step: heartbeat.step, heartbeatTime: RFC3339.formatMicro(heartbeat.time),
                    activity: heartbeat.activity, activitySince: RFC3339.formatMicro(heartbeat.activitySince)),
            ]
        }
        struct Envelope: Encodable { var status: TrainingJobStatus }
        return try JSONEncoder().encode(Envelope(status: status))
    }

    /// JSON has no NaN or infinity: such values are left out.
    private static func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }
}
