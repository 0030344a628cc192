import Foundation
import KubeClient
import Logging
import TrainingJobAPI

/// Records `core/v1` Events about TrainingJobs (what `kubectl describe tj`
/// shows). Recording is best effort: a failure is logged, never thrown, so
/// an event can never fail a reconcile.
public struct EventRecorder: Sendable {
    public let client: KubernetesClient
    /// `source.component` and `reportingComponent`.
    public let component: String
    public let logger: Logger

    public init(client: KubernetesClient, component: String = "ringmaster-operator", logger: Logger) {
        self.client = client
        self.component = component
        self.logger = logger
    }

    /// The Event object for `event` about `job` at `now` (pure).
    public static func makeEvent(_ event: PlannedEvent, about job: TrainingJob, component: String, now: Date, suffix: String) -> Event {
        let time = RFC3339.format(now)
        return Event(
            metadata: ObjectMeta(name: "\(job.metadata.name ?? "trainingjob").\(suffix)", namespace: job.metadata.namespace),
            involvedObject: ObjectReference(to: job), reason: event.reason, message: event.message,
            type: event.type.rawValue, count: 1, firstTimestamp: time, lastTimestamp: time,
            source: EventSource(component: component), reportingComponent: component, reportingInstance: component)
    }

    public func record(_ events: [PlannedEvent], about job: TrainingJob, now: Date) async {
        for event in events {
            let suffix = String(UInt64.random(in: 0 ... .max), radix: 16)
            do {
                _ = try await client.events.create(Self.makeEvent(event, about: job, component: component, now: now, suffix: suffix))
            } catch {
                logger.warning("could not record event", metadata: [
                    "job": "\(job.metadata.namespace ?? "")/\(job.metadata.name ?? "")", "reason": "\(event.reason)", "error": "\(error)",
                ])
            }
        }
    }
}
