import Foundation
import KubeClient

/// Options of a server-side Table request (`Accept: ...;as=Table;v=v1;g=meta.k8s.io`).
struct TableOptions: Sendable {
    /// `None`, `Metadata` (default) or `Object`.
    var includeObject: String
    var apiVersion: String
}

/// Builds `meta.k8s.io/v1` Table output: the CRD's printer columns for custom
/// resources, NAME READY STATUS RESTARTS AGE for pods, the API server's
/// columns for events (`TableConverter+Events.swift`), NAME AGE for the rest.
struct TableConverter {
    var type: ResourceType
    var options: TableOptions
    var now: Date

    func columnDefinitions() -> [JSONValue] {
        columns().map { column in
            .object([
                "name": .string(column.name), "type": .string(column.type), "format": .string(column.format),
                "description": .string(column.description), "priority": .integer(Int64(column.priority)),
            ])
        }
    }

    private func columns() -> [ResourceType.PrinterColumn] {
        let name = ResourceType.PrinterColumn(name: "Name", type: "string", jsonPath: ".metadata.name", description: "Name must be unique within a namespace.", format: "name")
        let age = ResourceType.PrinterColumn(name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "CreationTimestamp is a timestamp representing the server time when this object was created.")
        if type.isCustom {
            return type.printerColumns.isEmpty ? [name, age] : [name] + type.printerColumns
        }
        if servesEvents { return Self.eventColumns }
        if type.group == "" && type.plural == "pods" {
            return [name,
                    .init(name: "Ready", type: "string", jsonPath: "", description: "The aggregate readiness state of this pod for accepting traffic."),
                    .init(name: "Status", type: "string", jsonPath: "", description: "The aggregate status of the containers in this pod."),
                    .init(name: "Restarts", type: "string", jsonPath: "", description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
                    age,
                    .init(name: "IP", type: "string", jsonPath: ".status.podIP", description: "IP address allocated to the pod.", priority: 1),
                    .init(name: "Node", type: "string", jsonPath: ".spec.nodeName", description: "Name of the Node this pod is scheduled on.", priority: 1)]
        }
        return [name, age]
    }

    /// A Table of `objects` (served form).
    func table(_ objects: [JSONValue], listMetadata: JSONValue? = nil) -> JSONValue {
        var table: [String: JSONValue] = [
            "kind": .string("Table"), "apiVersion": .string(options.apiVersion),
            "metadata": listMetadata ?? .object([:]),
            "columnDefinitions": .array(columnDefinitions()),
            "rows": .array(objects.map(row)),
        ]
        if listMetadata == nil { table["metadata"] = .object(["resourceVersion": objects.first?["metadata"]?["resourceVersion"] ?? .string("")]) }
        return .object(table)
    }

    private func row(_ object: JSONValue) -> JSONValue {
        var row: [String: JSONValue] = ["cells": .array(columns().map { cell($0, object) })]
        switch options.includeObject {
        case "None": break
        case "Object": row["object"] = object
        default:
            row["object"] = .object([
                "kind": .string("PartialObjectMetadata"), "apiVersion": .string("meta.k8s.io/v1"),
                "metadata": object["metadata"] ?? .object([:]),
            ])
        }
        return .object(row)
    }

    private func cell(_ column: ResourceType.PrinterColumn, _ object: JSONValue) -> JSONValue {
        if servesEvents { return eventCell(column, object) }
        if type.group == "" && type.plural == "pods" {
            switch column.name {
            case "Ready":
                let statuses = object["status"]?["containerStatuses"]?.arrayValue ?? []
                let total = object["spec"]?["containers"]?.arrayValue?.count ?? statuses.count
                let ready = statuses.filter { $0["ready"]?.boolValue == true }.count
                return .string("\(ready)/\(total)")
            case "Status": return .string(Self.podStatus(object))
            case "Restarts":
                let restarts = (object["status"]?["containerStatuses"]?.arrayValue ?? []).compactMap { $0["restartCount"]?.intValue }.reduce(0, +)
                return .string(String(restarts))
            default: break
            }
        }
        let values = JSONCoding.evaluate(jsonPath: column.jsonPath, on: object)
        guard let value = values.first else { return column.name == "Name" ? .string("") : .null }
        if column.type == "date", let text = value.stringValue {
            return .string(Self.age(text, now: now))
        }
        switch column.type {
        case "integer": if let i = value.intValue { return .integer(i) }
        case "number": if let d = value.doubleValue { return .double(d) }
        case "boolean": if let b = value.boolValue { return .bool(b) }
        default: break
        }
        if values.count > 1 { return .string(values.map(JSONCoding.plainText).joined(separator: ",")) }
        return value.stringValue.map(JSONValue.string) ?? .string(JSONCoding.plainText(value))
    }

    /// The STATUS column of `kubectl get pods`.
    static func podStatus(_ pod: JSONValue) -> String {
        if pod["metadata"]?["deletionTimestamp"] != nil { return "Terminating" }
        var reason = pod["status"]?["reason"]?.stringValue ?? pod["status"]?["phase"]?.stringValue ?? "Pending"
        for status in pod["status"]?["containerStatuses"]?.arrayValue ?? [] {
            if let waiting = status["state"]?["waiting"]?["reason"]?.stringValue, !waiting.isEmpty {
                reason = waiting
            } else if let terminated = status["state"]?["terminated"], reason != "Completed" || terminated["exitCode"]?.intValue != 0 {
                if let r = terminated["reason"]?.stringValue, !r.isEmpty { reason = r } else if let code = terminated["exitCode"]?.intValue { reason = "ExitCode:\(code)" }
            }
        }
        return reason
    }

    /// Kubernetes' short human duration (`45s`, `3m12s`, `5h`, `2d3h`).
    static func age(_ timestamp: String, now: Date) -> String {
        let formatter = ISO8601DateFormatter()
        guard let date = formatter.date(from: timestamp) else { return "<unknown>" }
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        let minutes = seconds / 60, hours = seconds / 3600, days = seconds / 86400
        if seconds < 120 { return "\(seconds)s" }
        if minutes < 10 { return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s" }
        if minutes < 180 { return "\(minutes)m" }
        if hours < 8 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        if days < 8 { return hours % 24 == 0 ? "\(days)d" : "\(days)d\(hours % 24)h" }
        return "\(days)d"
    }
}
