import Foundation
import KubeClient
import Logging
import Synchronization

/// Records the scheduler's and the kubelet's events about the node's pods
/// as core/v1 Events, without ever holding up a pod.
///
/// `record(_:about:)` only queues: it never blocks, never throws and never
/// waits for the API server. `run()` writes the queue in order, folding
/// repeats of an identical event into one Event (see `EventAggregator`).
/// The queue is bounded: when it is full the newest occurrence is dropped
/// and a warning logged, so a slow or unreachable API server costs events,
/// never progress. A failed write is logged and not retried.
final class NodeEventRecorder: Sendable {
    private struct Occurrence: Sendable {
        var event: PodEvent
        var object: ObjectReference
        var time: Date
    }

    /// The node's name: `source.host` and `reportingInstance` of the kubelet's events.
    let host: String
    private let writer: any EventWriter
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let occurrences: AsyncStream<Occurrence>
    private let continuation: AsyncStream<Occurrence>.Continuation
    private let aggregator: Mutex<EventAggregator>
    private let dropped = Atomic<Int>(0)

    /// - Parameters:
    ///   - queueLimit: how many occurrences may wait to be written.
    ///   - memory: how many distinct events are remembered for aggregation.
    init(
        host: String, writer: any EventWriter, logger: Logger, queueLimit: Int = 1000, memory: Int = 4096,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.host = host
        self.writer = writer
        self.logger = logger
        self.clock = clock
        self.aggregator = Mutex(EventAggregator(capacity: memory))
        (occurrences, continuation) = AsyncStream.makeStream(of: Occurrence.self, bufferingPolicy: .bufferingOldest(max(1, queueLimit)))
    }

    /// Queues `event` about `pod` (its reference as of now). Never blocks; safe to call concurrently.
    func record(_ event: PodEvent, about pod: Pod) {
        var object = ObjectReference(to: pod)
        object.fieldPath = event.fieldPath
        if case .dropped = continuation.yield(Occurrence(event: event, object: object, time: clock())) {
            let total = dropped.add(1, ordering: .relaxed).newValue
            logger.warning("event queue full: dropped an event", metadata: [
                "pod": "\(object.namespace ?? "")/\(object.name ?? "")", "reason": "\(event.reason)", "dropped": "\(total)",
            ])
        }
    }

    /// How many occurrences were dropped because the queue was full.
    var droppedCount: Int { dropped.load(ordering: .relaxed) }

    /// Ends `run()` once the queued occurrences are written; later ones are dropped.
    func finish() {
        continuation.finish()
    }

    /// Writes queued events until `finish()` or cancellation.
    func run() async {
        for await occurrence in occurrences {
            if Task.isCancelled { return }
            await write(occurrence)
        }
    }

    private func write(_ occurrence: Occurrence) async {
        let (key, write) = aggregator.withLock {
            $0.prepare(occurrence.event, about: occurrence.object, host: host, now: occurrence.time)
        }
        do {
            switch write {
            case .create(let event):
                try await writer.create(event)
                aggregator.withLock { $0.written(key, name: event.metadata.name ?? "", count: 1) }
            case .update(let namespace, let name, let patch, let count, let fallback):
                do {
                    try await writer.patch(namespace: namespace, name: name, patch: patch)
                    aggregator.withLock { $0.written(key, name: name, count: count) }
                } catch where error.isNotFoundAnswer {
                    try await writer.create(fallback)
                    aggregator.withLock { $0.written(key, name: fallback.metadata.name ?? "", count: 1) }
                }
            }
        } catch {
            aggregator.withLock { $0.forget(key) }
            logger.warning("cannot record event", metadata: [
                "pod": "\(occurrence.object.namespace ?? "")/\(occurrence.object.name ?? "")",
                "reason": "\(occurrence.event.reason)", "error": "\(error)",
            ])
        }
    }
}
