import Foundation
import KubeClient

extension ClusterState {
    static let crdStorage = "customresourcedefinitions.apiextensions.k8s.io"

    /// Checks a CustomResourceDefinition and fills in its status
    /// (Established, NamesAccepted, acceptedNames, storedVersions): the local
    /// server establishes a CRD at once.
    func prepareCustomResourceDefinition(_ input: JSONValue) throws -> JSONValue {
        var crd = input
        let type = types[Self.typeKey("apiextensions.k8s.io", "v1", "customresourcedefinitions")]!
        let name = crd["metadata"]?["name"]?.stringValue ?? ""
        var causes: [APIError.Cause] = []
        let group = crd["spec"]?["group"]?.stringValue ?? ""
        let plural = crd["spec"]?["names"]?["plural"]?.stringValue ?? ""
        if group.isEmpty { causes.append(.init(reason: "FieldValueRequired", message: "Required value", field: "spec.group")) }
        if plural.isEmpty { causes.append(.init(reason: "FieldValueRequired", message: "Required value", field: "spec.names.plural")) }
        if (crd["spec"]?["names"]?["kind"]?.stringValue ?? "").isEmpty {
            causes.append(.init(reason: "FieldValueRequired", message: "Required value", field: "spec.names.kind"))
        }
        let scope = crd["spec"]?["scope"]?.stringValue ?? ""
        if scope != "Namespaced" && scope != "Cluster" {
            causes.append(.init(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(scope)\": supported values: \"Cluster\", \"Namespaced\"", field: "spec.scope"))
        }
        let versions = crd["spec"]?["versions"]?.arrayValue ?? []
        if versions.isEmpty { causes.append(.init(reason: "FieldValueRequired", message: "Required value", field: "spec.versions")) }
        if !versions.isEmpty && versions.filter({ $0["storage"]?.boolValue == true }).count != 1 {
            causes.append(.init(reason: "FieldValueInvalid", message: "Invalid value: \(versions.filter({ $0["storage"]?.boolValue == true }).count): must have exactly one version marked as storage version", field: "spec.versions"))
        }
        if !group.isEmpty && !plural.isEmpty && name != "\(plural).\(group)" {
            causes.append(.init(reason: "FieldValueInvalid", message: "Invalid value: \"\(name)\": must be spec.names.plural+\".\"+spec.group", field: "metadata.name"))
        }
        if !causes.isEmpty { throw APIError.invalid(type, name, causes) }
        let existing = types.values.first { $0.group == group && $0.plural == plural && !$0.isCustom }
        if existing != nil {
            throw APIError.invalid(type, name, [.init(reason: "FieldValueInvalid", message: "Invalid value: \"\(group)\": the group is served by the API server itself", field: "spec.group")])
        }
        let conditionTime = timestamp()
        var names = crd["spec"]?["names"]?.objectValue ?? [:]
        if names["singular"] == nil { names["singular"] = .string((names["kind"]?.stringValue ?? "").lowercased()) }
        if names["listKind"] == nil { names["listKind"] = .string((names["kind"]?.stringValue ?? "") + "List") }
        crd["spec"]?["names"] = .object(names)
        let storageVersion = versions.first { $0["storage"]?.boolValue == true }?["name"] ?? .string("")
        crd["status"] = .object([
            "acceptedNames": .object(names),
            "storedVersions": .array([storageVersion]),
            "conditions": .array([
                .object(["type": .string("NamesAccepted"), "status": .string("True"), "reason": .string("NoConflicts"),
                         "message": .string("no conflicts found"), "lastTransitionTime": .string(conditionTime)]),
                .object(["type": .string("Established"), "status": .string("True"), "reason": .string("InitialNamesAccepted"),
                         "message": .string("the initial names have been accepted"), "lastTransitionTime": .string(conditionTime)]),
            ]),
        ])
        return crd
    }

    /// Serves the kinds a stored CRD declares (replacing earlier registrations of it). Caller holds the lock or is the initializer.
    func registerCustomTypes(_ crd: JSONValue) {
        guard let group = crd["spec"]?["group"]?.stringValue, let names = crd["spec"]?["names"],
              let plural = names["plural"]?.stringValue, let kind = names["kind"]?.stringValue else { return }
        types = types.filter { !($0.value.isCustom && $0.value.group == group && $0.value.plural == plural) }
        var served: [String] = []
        for version in crd["spec"]?["versions"]?.arrayValue ?? [] {
            guard let name = version["name"]?.stringValue, version["served"]?.boolValue != false else { continue }
            served.append(name)
            let columns = (version["additionalPrinterColumns"]?.arrayValue ?? []).compactMap { column -> ResourceType.PrinterColumn? in
                guard let columnName = column["name"]?.stringValue, let path = column["jsonPath"]?.stringValue else { return nil }
                return .init(name: columnName, type: column["type"]?.stringValue ?? "string", jsonPath: path,
                             description: column["description"]?.stringValue ?? "", priority: Int(column["priority"]?.intValue ?? 0),
                             format: column["format"]?.stringValue ?? "")
            }
            let type = ResourceType(
                group: group, version: name, kind: kind, plural: plural, singular: names["singular"]?.stringValue,
                shortNames: (names["shortNames"]?.arrayValue ?? []).compactMap(\.stringValue),
                categories: (names["categories"]?.arrayValue ?? []).compactMap(\.stringValue),
                namespaced: crd["spec"]?["scope"]?.stringValue != "Cluster",
                hasStatus: version["subresources"]?["status"] != nil,
                schema: version["schema"]?["openAPIV3Schema"], printerColumns: columns, isCustom: true)
            types[Self.typeKey(group, name, plural)] = type
        }
        var groupVersions = customGroupVersions[group] ?? []
        groupVersions.removeAll { !served.contains($0) && !types.values.contains(where: { t in t.group == group && t.isCustom }) }
        for version in served where !groupVersions.contains(version) { groupVersions.append(version) }
        groupVersions = groupVersions.filter { v in types.values.contains { $0.group == group && $0.version == v } }
        customGroupVersions[group] = groupVersions.isEmpty ? nil : groupVersions
    }

    /// Removes every custom resource of a CRD being deleted, and stops serving its kinds.
    func removeCustomResources(of crd: JSONValue) throws {
        guard let group = crd["spec"]?["group"]?.stringValue, let plural = crd["spec"]?["names"]?["plural"]?.stringValue else { return }
        let servedTypes = types.values.filter { $0.isCustom && $0.group == group && $0.plural == plural }
        if let type = servedTypes.first {
            for (key, object) in objects[type.storageName] ?? [:] {
                _ = key
                try commit(type, key: key, object: nil, previous: object, eventType: "DELETED")
            }
        }
        types = types.filter { !($0.value.isCustom && $0.value.group == group && $0.value.plural == plural) }
        let remaining = Set(types.values.filter { $0.group == group && $0.isCustom }.map(\.version))
        customGroupVersions[group] = customGroupVersions[group]?.filter(remaining.contains)
        if customGroupVersions[group]?.isEmpty == true { customGroupVersions[group] = nil }
    }

    /// Prunes, defaults and validates a custom resource against its schema.
    func validateCustom(_ type: ResourceType, _ input: JSONValue, old: JSONValue?, strict: Bool = false) throws -> JSONValue {
        guard let schema = type.schema else { return input }
        var object = input
        var pruned: [String] = []
        let causes = SchemaValidator(schema: schema).process(&object, pruned: &pruned)
        if strict && !pruned.isEmpty {
            let fields = pruned.map { "unknown field \"\($0)\"" }.joined(separator: ", ")
            throw APIError.badRequest("\(type.kind) in version \"\(type.version)\" cannot be handled as a \(type.kind): strict decoding error: \(fields)")
        }
        if !causes.isEmpty {
            throw APIError.invalid(type, object["metadata"]?["name"]?.stringValue ?? "", causes)
        }
        return object
    }
}
