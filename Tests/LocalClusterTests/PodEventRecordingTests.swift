import Foundation
import KubeClient
import Logging
import Testing
@testable import LocalCluster

/// The node's event recording without an API server: the aggregation of
/// repeats, the Event's shape, and the bounded queue.
@Suite struct PodEventRecordingTests {
    static let pod = Pod(
        metadata: ObjectMeta(name: "web", namespace: "team-a", uid: "uid-1", resourceVersion: "42"),
        spec: PodSpec(containers: [Container(name: "main", image: "example.com/shell:1")]))

    static func reference(fieldPath: String? = nil) -> ObjectReference {
        var object = ObjectReference(to: pod)
        object.fieldPath = fieldPath
        return object
    }

    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    // MARK: EventAggregator

    @Test func aFirstOccurrenceCreatesAnEventShapedAsTheKubeletWritesIt() throws {
        var aggregator = EventAggregator()
        let event = PodEvent.started(container: "main")
        let (_, write) = aggregator.prepare(event, about: Self.reference(fieldPath: event.fieldPath), host: "local", now: Self.start)
        guard case .create(let created) = write else {
            Issue.record("expected a create, got \(write)")
            return
        }
        #expect(created.metadata.namespace == "team-a")
        #expect(created.metadata.name?.hasPrefix("web.") == true)
        #expect(created.reason == "Started")
        #expect(created.message == "Container started")
        #expect(created.type == "Normal")
        #expect(created.count == 1)
        #expect(created.firstTimestamp == "2027-01-15T08:00:00Z")
        #expect(created.lastTimestamp == created.firstTimestamp)
        #expect(created.source == EventSource(component: "kubelet", host: "local"))
        #expect(created.reportingComponent == "kubelet")
        #expect(created.reportingInstance == "local")
        #expect(created.involvedObject == ObjectReference(
            apiVersion: "v1", kind: "Pod", namespace: "team-a", name: "web", uid: "uid-1", resourceVersion: "42",
            fieldPath: "spec.containers{main}"))
    }

    @Test func theSchedulersEventsNameTheSchedulerAndNoHost() throws {
        var aggregator = EventAggregator()
        let event = PodEvent.scheduled(namespace: "team-a", pod: "web", node: "local")
        let (_, write) = aggregator.prepare(event, about: Self.reference(), host: "local", now: Self.start)
        let created = write.event
        #expect(created.message == "Successfully assigned team-a/web to local")
        #expect(created.source == EventSource(component: "default-scheduler", host: nil))
        #expect(created.reportingComponent == "default-scheduler")
        #expect(created.action == "Binding")
        #expect(created.involvedObject.fieldPath == nil)
    }

    @Test func repeatsOfAnIdenticalEventUpdateOneEventsCount() throws {
        var aggregator = EventAggregator()
        let event = PodEvent.backOff(container: "main", pod: "web_team-a(uid-1)")
        let object = Self.reference(fieldPath: event.fieldPath)
        let (key, first) = aggregator.prepare(event, about: object, host: "local", now: Self.start)
        let name = try #require(first.event.metadata.name)
        aggregator.written(key, name: name, count: 1)
        for occurrence in 2...5 {
            let later = Self.start.addingTimeInterval(Double(occurrence))
            let (sameKey, write) = aggregator.prepare(event, about: object, host: "local", now: later)
            #expect(sameKey == key)
            guard case .update(let namespace, let updated, let patch, let count, _) = write else {
                Issue.record("occurrence \(occurrence): expected an update, got \(write)")
                return
            }
            #expect(namespace == "team-a")
            #expect(updated == name)
            #expect(count == Int32(occurrence))
            #expect(patch["count"]?.intValue == Int64(occurrence))
            #expect(patch["lastTimestamp"]?.stringValue == RFC3339.format(later))
            aggregator.written(sameKey, name: updated, count: count)
        }
        #expect(aggregator.count == 1)
    }

    @Test(arguments: [
        PodEvent.backOff(container: "main", pod: "web_team-a(uid-1)"),
        PodEvent.backOff(container: "other", pod: "web_team-a(uid-1)"),
        PodEvent.killing(container: "main"),
        PodEvent.failed("secret \"s\" not found", container: "main"),
        PodEvent.failed("configmap \"c\" not found", container: "main"),
    ])
    func eventsThatDifferInAnythingButTimeAreNotFolded(other: PodEvent) throws {
        var aggregator = EventAggregator()
        let first = PodEvent.failed("secret \"s\" not found", container: "main")
        let (key, write) = aggregator.prepare(first, about: Self.reference(fieldPath: first.fieldPath), host: "local", now: Self.start)
        aggregator.written(key, name: try #require(write.event.metadata.name), count: 1)
        let (otherKey, second) = aggregator.prepare(other, about: Self.reference(fieldPath: other.fieldPath), host: "local", now: Self.start)
        if other == first {
            #expect(otherKey == key)
            guard case .update = second else { Issue.record("an identical event must fold"); return }
        } else {
            #expect(otherKey != key)
            guard case .create = second else { Issue.record("a different event must not fold: \(second)"); return }
        }
    }

    @Test func eventsCreatedInTheSameInstantGetDistinctNames() {
        var aggregator = EventAggregator()
        var names: Set<String> = []
        for index in 0..<50 {
            let event = PodEvent.failed("error \(index)", container: "main")
            let (_, write) = aggregator.prepare(event, about: Self.reference(), host: "local", now: Self.start)
            names.insert(write.event.metadata.name ?? "")
        }
        #expect(names.count == 50)
    }

    @Test func theMemoryForgetsTheLeastRecentlySeenEventPastItsCapacity() throws {
        var aggregator = EventAggregator(capacity: 2)
        let events = (0..<3).map { PodEvent.failed("error \($0)", container: "main") }
        var keys: [EventAggregator.Key] = []
        for event in events {
            let (key, write) = aggregator.prepare(event, about: Self.reference(), host: "local", now: Self.start)
            aggregator.written(key, name: try #require(write.event.metadata.name), count: 1)
            keys.append(key)
        }
        #expect(aggregator.count == 2)
        guard case .create = aggregator.prepare(events[0], about: Self.reference(), host: "local", now: Self.start).1 else {
            Issue.record("the oldest event should have been forgotten")
            return
        }
        guard case .update = aggregator.prepare(events[2], about: Self.reference(), host: "local", now: Self.start).1 else {
            Issue.record("the newest event should be remembered")
            return
        }
    }

    // MARK: NodeEventRecorder

    /// Records what the recorder writes; answers 404 to patches of events it does not hold.
    actor FakeEventWriter: EventWriter {
        var events: [String: Event] = [:]
        var creates = 0
        var patches = 0
        var failCreates = false

        func create(_ event: Event) async throws {
            if failCreates { throw KubernetesAPIError(code: 500, reason: "InternalError", message: "boom") }
            creates += 1
            events[event.metadata.name ?? ""] = event
        }

        func patch(namespace: String, name: String, patch: JSONValue) async throws {
            guard var event = events[name] else {
                throw KubernetesAPIError(code: 404, reason: "NotFound", message: "events \"\(name)\" not found")
            }
            patches += 1
            event.count = patch["count"]?.intValue.map { Int32($0) }
            event.lastTimestamp = patch["lastTimestamp"]?.stringValue
            events[name] = event
        }

        func remove(_ name: String) { events[name] = nil }
        func setFailCreates(_ fail: Bool) { failCreates = fail }
    }

    static func recorder(_ writer: FakeEventWriter, queueLimit: Int = 100) -> NodeEventRecorder {
        var logger = Logger(label: "test.events")
        logger.logLevel = .critical
        return NodeEventRecorder(host: "local", writer: writer, logger: logger, queueLimit: queueLimit, clock: { Self.start })
    }

    @Test func theRecorderFoldsACrashLoopIntoOneEvent() async throws {
        let writer = FakeEventWriter()
        let recorder = Self.recorder(writer)
        for _ in 0..<7 { recorder.record(.backOff(container: "main", pod: "web_team-a(uid-1)"), about: Self.pod) }
        recorder.record(.killing(container: "main"), about: Self.pod)
        recorder.finish()
        await recorder.run()
        let events = await writer.events.values.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
        #expect(events.map(\.reason) == ["BackOff", "Killing"])
        #expect(events.map(\.count) == [7, 1])
        #expect(await writer.creates == 2)
        #expect(await writer.patches == 6)
    }

    @Test func aRepeatOfAnEventThatWasDeletedCreatesItAgain() async throws {
        let writer = FakeEventWriter()
        let recorder = Self.recorder(writer)
        let running = Task { await recorder.run() }
        let event = PodEvent.failed("ErrImagePull", container: "main")
        recorder.record(event, about: Self.pod)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while await writer.creates == 0 && clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let first = try #require(await writer.events.keys.first)
        await writer.remove(first)
        recorder.record(event, about: Self.pod)
        recorder.finish()
        await running.value
        #expect(await writer.creates == 2)
        #expect(await writer.events.count == 1)
        #expect(await writer.events.values.first?.count == 1)
        #expect(await writer.events.keys.first != first)
    }

    @Test func aFailedWriteIsLoggedAndForgottenNeverRetriedOrThrown() async throws {
        let writer = FakeEventWriter()
        await writer.setFailCreates(true)
        let recorder = Self.recorder(writer)
        recorder.record(.started(container: "main"), about: Self.pod)
        recorder.record(.started(container: "main"), about: Self.pod)
        recorder.finish()
        await recorder.run()
        #expect(await writer.events.isEmpty)
        #expect(await writer.patches == 0)
    }

    @Test func recordingNeverWaitsForTheServerAndDropsPastTheQueueLimit() async throws {
        let writer = FakeEventWriter()
        let recorder = Self.recorder(writer, queueLimit: 5)
        // Nothing writes yet (run() has not started): the queue fills up.
        for index in 0..<12 { recorder.record(.failed("error \(index)", container: "main"), about: Self.pod) }
        #expect(recorder.droppedCount == 7)
        recorder.finish()
        await recorder.run()
        let messages = await writer.events.values.compactMap(\.message).sorted()
        #expect(messages == (0..<5).map { "Error: error \($0)" }.sorted())
    }
}
