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
        if var progress = report.progress {
            progress.loss = finite(progress.loss)
            progress.accuracy = finite(progress.accuracy)
            progress.samplesPerSecond = finite(progress.samplesPerSecond)
            status.progress = progress
        }
        status.checkpoint = report.checkpoint
        if let metrics = report.metrics {
            status.metrics = TrainingMetrics(
                testAccuracy: finite(metrics.testAccuracy), testLoss: finite(metrics.testLoss),
                trainingSeconds: finite(metrics.trainingSeconds), samplesPerSecond: finite(metrics.samplesPerSecond))
        }
        status.artifact = report.artifact
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
    private static func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
}
