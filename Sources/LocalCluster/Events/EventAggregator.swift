import Foundation
import KubeClient

/// The pure part of the node's event recorder: turns each occurrence into
/// the write that records it, folding repeats of an identical event into one
/// Event whose `count` and `lastTimestamp` grow, as client-go's recorder does
/// for the kubelet (so a crash-looping pod updates one `BackOff` event
/// rather than writing a new one on every restart).
///
/// Two occurrences are identical when the reporter (component and host),
/// the involved object (kind, apiVersion, namespace, name, uid, fieldPath),
/// the type, the reason and the message are. The memory of what was written
/// is bounded: past `capacity` entries the least recently seen is forgotten,
/// and its next occurrence starts a new Event.
struct EventAggregator: Sendable {
    /// What identifies repeats of one event.
    struct Key: Sendable, Hashable {
        var component: String
        var host: String
        var kind: String
        var apiVersion: String
        var namespace: String
        var name: String
        var uid: String
        var fieldPath: String
        var type: String
        var reason: String
        var message: String
    }

    /// How to record one occurrence.
    enum Write: Sendable, Hashable {
        /// A new Event.
        case create(Event)
        /// A repeat of the Event `name`: merge-patch it with `patch`
        /// (count, lastTimestamp); `fallback` is the Event to create
        /// instead when it no longer exists.
        case update(namespace: String, name: String, patch: JSONValue, count: Int32, fallback: Event)

        var event: Event {
            switch self {
            case .create(let event): return event
            case .update(_, _, _, _, let fallback): return fallback
            }
        }
    }

    private struct Entry: Sendable {
        var name: String
        var count: Int32
        var lastUsed: UInt64
    }

    let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var uses: UInt64 = 0
    private var lastNameNanos: UInt64 = 0

    init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    /// The number of distinct events remembered.
    var count: Int { entries.count }

    /// The identity of `event` about `object`.
    static func key(_ event: PodEvent, about object: ObjectReference, host: String) -> Key {
        Key(component: event.reporter.rawValue, host: event.reporter == .kubelet ? host : "",
            kind: object.kind ?? "", apiVersion: object.apiVersion ?? "", namespace: object.namespace ?? "",
            name: object.name ?? "", uid: object.uid ?? "", fieldPath: object.fieldPath ?? "",
            type: event.type.rawValue, reason: event.reason, message: event.message)
    }

    /// The write for one occurrence of `event` about `object` at `now`, reported from `host`.
    /// Call `written(_:name:count:)` once it succeeded.
    mutating func prepare(_ event: PodEvent, about object: ObjectReference, host: String, now: Date) -> (Key, Write) {
        let key = Self.key(event, about: object, host: host)
        let time = RFC3339.format(now)
        let fresh = makeEvent(event, about: object, host: host, time: time, now: now)
        guard let entry = entries[key] else { return (key, .create(fresh)) }
        let count = entry.count &+ 1
        let patch: JSONValue = .object(["count": .integer(Int64(count)), "lastTimestamp": .string(time)])
        return (key, .update(namespace: object.namespace ?? "default", name: entry.name, patch: patch, count: count, fallback: fresh))
    }

    /// Remembers that the Event `name` now records `count` occurrences of `key`.
    mutating func written(_ key: Key, name: String, count: Int32) {
        uses &+= 1
        entries[key] = Entry(name: name, count: count, lastUsed: uses)
        if entries.count > capacity, let oldest = entries.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
            entries[oldest] = nil
        }
    }

    /// Forgets `key` (its Event is gone or could not be written).
    mutating func forget(_ key: Key) {
        entries[key] = nil
    }

    /// A core/v1 Event for one first occurrence, named `<object>.<hex nanoseconds>`
    /// as client-go names them (strictly increasing, so never twice the same).
    private mutating func makeEvent(_ event: PodEvent, about object: ObjectReference, host: String, time: String, now: Date) -> Event {
        let nanos = UInt64(max(0, now.timeIntervalSince1970) * 1_000_000_000)
        lastNameNanos = max(nanos, lastNameNanos &+ 1)
        let instance = event.reporter == .kubelet ? host : "\(event.reporter.rawValue)-\(host)"
        return Event(
            metadata: ObjectMeta(name: "\(object.name ?? "event").\(String(lastNameNanos, radix: 16))", namespace: object.namespace),
            involvedObject: object, reason: event.reason, message: event.message, type: event.type.rawValue, count: 1,
            firstTimestamp: time, lastTimestamp: time,
            source: EventSource(component: event.reporter.rawValue, host: event.reporter == .kubelet ? host : nil),
            reportingComponent: event.reporter.rawValue, reportingInstance: instance, action: event.action)
    }
}
