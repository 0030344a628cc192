import Foundation
import KubeClient

/// Server-side Table output for Events, with the real API server's columns:
/// LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, and with `-o wide` SUBOBJECT,
/// SOURCE, FIRST SEEN, COUNT, NAME. LAST SEEN of an aggregated event reads
/// `<age> (x<count> over <age of the first>)`.
extension TableConverter {
    /// Whether `type` is core/v1 or events.k8s.io/v1 Event.
    var servesEvents: Bool { type.plural == "events" && (type.group.isEmpty || type.group == "events.k8s.io") }

    static let eventColumns: [ResourceType.PrinterColumn] = [
        .init(name: "Last Seen", type: "string", jsonPath: "", description: "The time at which the most recent occurrence of this event was recorded."),
        .init(name: "Type", type: "string", jsonPath: "", description: "Type of this event (Normal, Warning), new types could be added in the future"),
        .init(name: "Reason", type: "string", jsonPath: "", description: "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
        .init(name: "Object", type: "string", jsonPath: "", description: "The object that this event is about."),
        .init(name: "Subobject", type: "string", jsonPath: "", description: "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].", priority: 1),
        .init(name: "Source", type: "string", jsonPath: "", description: "The component reporting this event. Should be a short machine understandable string.", priority: 1),
        .init(name: "Message", type: "string", jsonPath: "", description: "A human-readable description of the status of this operation."),
        .init(name: "First Seen", type: "string", jsonPath: "", description: "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", priority: 1),
        .init(name: "Count", type: "string", jsonPath: "", description: "The number of times this event has occurred.", priority: 1),
        .init(name: "Name", type: "string", jsonPath: "", description: "Name must be unique within a namespace.", priority: 1, format: "name"),
    ]

    /// The cell of an Event (core/v1, or events.k8s.io/v1 read through its deprecated fields).
    func eventCell(_ column: ResourceType.PrinterColumn, _ event: JSONValue) -> JSONValue {
        let core = type.group.isEmpty
        let involved = core ? event["involvedObject"] : event["regarding"]
        let count = (core ? event["count"] : event["deprecatedCount"])?.intValue ?? 0
        let eventTime = event["eventTime"]?.stringValue
        let first = (core ? event["firstTimestamp"] : event["deprecatedFirstTimestamp"])?.stringValue ?? eventTime
        let last = (core ? event["lastTimestamp"] : event["deprecatedLastTimestamp"])?.stringValue ?? eventTime
        switch column.name {
        case "Last Seen":
            let lastSeen = Self.eventAge(last, now: now)
            return .string(count > 1 ? "\(lastSeen) (x\(count) over \(Self.eventAge(first, now: now)))" : lastSeen)
        case "Type": return .string(event["type"]?.stringValue ?? "")
        case "Reason": return .string(event["reason"]?.stringValue ?? "")
        case "Object":
            return .string("\((involved?["kind"]?.stringValue ?? "").lowercased())/\(involved?["name"]?.stringValue ?? "")")
        case "Subobject": return .string(involved?["fieldPath"]?.stringValue ?? "")
        case "Source":
            let source = core ? event["source"] : event["deprecatedSource"]
            var component = source?["component"]?.stringValue ?? ""
            var host = source?["host"]?.stringValue ?? ""
            if component.isEmpty && host.isEmpty {
                component = (core ? event["reportingComponent"] : event["reportingController"])?.stringValue ?? ""
                host = event["reportingInstance"]?.stringValue ?? ""
            }
            return .string([component, host].filter { !$0.isEmpty }.joined(separator: ", "))
        case "Message":
            return .string(((core ? event["message"] : event["note"])?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        case "First Seen": return .string(Self.eventAge(first, now: now))
        case "Count": return .integer(count)
        case "Name": return .string(event["metadata"]?["name"]?.stringValue ?? "")
        default: return .null
        }
    }

    /// The age of an event time, `<unknown>` when it has none.
    static func eventAge(_ timestamp: String?, now: Date) -> String {
        guard let timestamp, let date = RFC3339.parse(timestamp) else { return "<unknown>" }
        return age(RFC3339.format(date), now: now)
    }
}
