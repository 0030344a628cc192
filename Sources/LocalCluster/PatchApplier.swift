import KubeClient

/// The patch types the API server accepts, applied to JSON documents.
enum PatchApplier {
    /// RFC 7386 JSON merge patch: objects merge recursively, `null` deletes,
    /// anything else (arrays included) replaces.
    static func merge(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchMembers {
            if case .null = value {
                result.removeValue(forKey: key)
            } else {
                result[key] = merge(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }

    /// The merge key of a list field for strategic merge patch, as the
    /// built-in Kubernetes types declare them (`patchMergeKey`).
    static func mergeKey(field: String, elements: [JSONValue]) -> String? {
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets",
             "volumeDevices", "resourceClaims":
            return "name"
        case "conditions": return "type"
        case "volumeMounts": return "mountPath"
        case "ownerReferences": return "uid"
        case "hostAliases": return "ip"
        case "ports":
            return elements.contains { $0["containerPort"] != nil } ? "containerPort" : "port"
        default: return nil
        }
    }

    /// Strategic merge patch for the built-in kinds: like a merge patch, but
    /// lists with a known merge key (containers, env, ports, volumes by name;
    /// conditions by type; ...) merge element by element, `$patch: delete`
    /// removes an element, `$patch: replace` replaces, and the directives
    /// `kubectl apply` adds (`$setElementOrder/...`, `$retainKeys`,
    /// `$deleteFromPrimitiveList/...`) are honoured or dropped.
    static func strategicMerge(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(var patchMembers) = patch else { return patch }
        if patchMembers["$patch"]?.stringValue == "replace" {
            patchMembers.removeValue(forKey: "$patch")
            return .object(patchMembers)
        }
        if patchMembers["$patch"]?.stringValue == "delete" { return .null }
        var result = target.objectValue ?? [:]
        if let retain = patchMembers["$retainKeys"]?.arrayValue {
            let keep = Set(retain.compactMap(\.stringValue))
            result = result.filter { keep.contains($0.key) }
        }
        for (key, value) in patchMembers {
            if key == "$retainKeys" || key == "$patch" || key.hasPrefix("$setElementOrder/") { continue }
            if key.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                let remove = Set(value.arrayValue ?? [])
                if let list = result[field]?.arrayValue { result[field] = .array(list.filter { !remove.contains($0) }) }
                continue
            }
            switch value {
            case .null:
                result.removeValue(forKey: key)
            case .object:
                result[key] = strategicMerge(result[key] ?? .null, value)
            case .array(let patchElements):
                let existing = result[key]?.arrayValue ?? []
                if let mergeKey = mergeKey(field: key, elements: existing + patchElements) {
                    result[key] = .array(mergeList(existing, patchElements, key: mergeKey))
                } else {
                    result[key] = .array(patchElements)
                }
            default:
                result[key] = value
            }
        }
        return .object(result)
    }

    private static func mergeList(_ existing: [JSONValue], _ patch: [JSONValue], key: String) -> [JSONValue] {
        if patch.contains(where: { $0["$patch"]?.stringValue == "replace" }) {
            return patch.filter { $0["$patch"] == nil }
        }
        var result = existing
        for element in patch {
            guard let id = element[key] else { result.append(element); continue }
            let index = result.firstIndex { $0[key] == id }
            if element["$patch"]?.stringValue == "delete" {
                if let index { result.remove(at: index) }
            } else if let index {
                result[index] = strategicMerge(result[index], element)
            } else {
                result.append(strategicMerge(.null, element))
            }
        }
        return result
    }

    /// RFC 6902 JSON patch: add, remove, replace, move, copy, test.
    static func jsonPatch(_ target: JSONValue, _ operations: JSONValue) throws -> JSONValue {
        guard let list = operations.arrayValue else {
            throw APIError.badRequest("json patch must be a JSON array of operations")
        }
        var document = target
        for operation in list {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw APIError.badRequest("json patch operation needs 'op' and 'path': \(JSONCoding.plainText(operation))")
            }
            let pointer = try parsePointer(path)
            switch op {
            case "add":
                guard let value = operation["value"] else { throw APIError.badRequest("json patch 'add' at \(path) has no value") }
                document = try set(document, pointer[...], value, insert: true)
            case "replace":
                guard let value = operation["value"] else { throw APIError.badRequest("json patch 'replace' at \(path) has no value") }
                guard get(document, pointer[...]) != nil else { throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: replace operation does not apply: doc is missing path: \(path)") }
                document = try set(document, pointer[...], value, insert: false)
            case "remove":
                guard get(document, pointer[...]) != nil else { throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: remove operation does not apply: doc is missing path: \(path)") }
                document = try remove(document, pointer[...])
            case "test":
                guard get(document, pointer[...]) == operation["value"] else {
                    throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: testing value \(path) failed")
                }
            case "move", "copy":
                guard let from = operation["from"]?.stringValue, let value = get(document, try parsePointer(from)[...]) else {
                    throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: \(op) operation does not apply: missing 'from' path")
                }
                if op == "move" { document = try remove(document, try parsePointer(from)[...]) }
                document = try set(document, pointer[...], value, insert: true)
            default:
                throw APIError.badRequest("json patch: unknown operation '\(op)'")
            }
        }
        return document
    }

    private static func parsePointer(_ path: String) throws -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw APIError.badRequest("json patch path must start with '/': \(path)") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func get(_ document: JSONValue, _ pointer: ArraySlice<String>) -> JSONValue? {
        guard let first = pointer.first else { return document }
        switch document {
        case .object(let members): return members[first].flatMap { get($0, pointer.dropFirst()) }
        case .array(let elements):
            guard let i = Int(first), elements.indices.contains(i) else { return nil }
            return get(elements[i], pointer.dropFirst())
        default: return nil
        }
    }

    private static func set(_ document: JSONValue, _ pointer: ArraySlice<String>, _ value: JSONValue, insert: Bool) throws -> JSONValue {
        guard let first = pointer.first else { return value }
        let rest = pointer.dropFirst()
        switch document {
        case .object(var members):
            if rest.isEmpty {
                members[first] = value
            } else {
                guard let child = members[first] else { throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: add operation does not apply: doc is missing path: /\(pointer.joined(separator: "/"))") }
                members[first] = try set(child, rest, value, insert: insert)
            }
            return .object(members)
        case .array(var elements):
            if rest.isEmpty {
                if first == "-" { elements.append(value); return .array(elements) }
                guard let i = Int(first), i >= 0, i <= elements.count else { throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: index \(first) out of range") }
                if insert { elements.insert(value, at: i) } else {
                    guard i < elements.count else { throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: index \(first) out of range") }
                    elements[i] = value
                }
                return .array(elements)
            }
            guard let i = Int(first), elements.indices.contains(i) else { throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: index \(first) out of range") }
            elements[i] = try set(elements[i], rest, value, insert: insert)
            return .array(elements)
        default:
            throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: path /\(pointer.joined(separator: "/")) is not in an object or array")
        }
    }

    private static func remove(_ document: JSONValue, _ pointer: ArraySlice<String>) throws -> JSONValue {
        guard let first = pointer.first else { return .null }
        let rest = pointer.dropFirst()
        switch document {
        case .object(var members):
            if rest.isEmpty { members.removeValue(forKey: first) } else if let child = members[first] { members[first] = try remove(child, rest) }
            return .object(members)
        case .array(var elements):
            guard let i = Int(first), elements.indices.contains(i) else { return document }
            if rest.isEmpty { elements.remove(at: i) } else { elements[i] = try remove(elements[i], rest) }
            return .array(elements)
        default:
            return document
        }
    }
}
