import KubeClient

/// A parsed `labelSelector` query parameter.
///
/// Supports `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` and `!k`,
/// joined by commas, as `kubectl -l` sends them.
struct LabelSelectorQuery: Sendable {
    enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    var requirements: [Requirement]

    init(parsing text: String) throws {
        requirements = []
        for term in Self.splitTerms(text) {
            let t = term.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            if t.hasPrefix("!") {
                requirements.append(.doesNotExist(Self.checkKey(String(t.dropFirst()).trimmingCharacters(in: .whitespaces), text)))
            } else if let range = t.range(of: " notin ") ?? t.range(of: " in ") {
                let key = try Self.validKey(String(t[..<range.lowerBound]).trimmingCharacters(in: .whitespaces), text)
                var rest = t[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard rest.hasPrefix("("), rest.hasSuffix(")") else {
                    throw APIError.badRequest("unable to parse requirement: found '\(rest)', expected: '('")
                }
                rest = String(rest.dropFirst().dropLast())
                let values = Set(rest.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                requirements.append(t[range].contains("notin") ? .notIn(key, values) : .isIn(key, values))
            } else if let range = t.range(of: "!=") {
                requirements.append(.notEquals(try Self.validKey(String(t[..<range.lowerBound]).trimmingCharacters(in: .whitespaces), text),
                                               t[range.upperBound...].trimmingCharacters(in: .whitespaces)))
            } else if let range = t.range(of: "==") ?? t.range(of: "=") {
                requirements.append(.equals(try Self.validKey(String(t[..<range.lowerBound]).trimmingCharacters(in: .whitespaces), text),
                                            t[range.upperBound...].trimmingCharacters(in: .whitespaces)))
            } else {
                requirements.append(.exists(try Self.validKey(t, text)))
            }
        }
    }

    private static func checkKey(_ key: String, _ text: String) -> String { key }

    private static func validKey(_ key: String, _ text: String) throws -> String {
        guard !key.isEmpty, !key.contains(" ") else {
            throw APIError.badRequest("unable to parse requirement: invalid label selector \"\(text)\"")
        }
        return key
    }

    /// Splits on commas outside parentheses.
    private static func splitTerms(_ text: String) -> [String] {
        var terms: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if c == "," && depth == 0 { terms.append(current); current = "" } else { current.append(c) }
        }
        terms.append(current)
        return terms
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let k, let v): return labels[k] == v
            case .notEquals(let k, let v): return labels[k] != v
            case .isIn(let k, let values): return labels[k].map(values.contains) ?? false
            case .notIn(let k, let values): return !(labels[k].map(values.contains) ?? false)
            case .exists(let k): return labels[k] != nil
            case .doesNotExist(let k): return labels[k] == nil
            }
        }
    }
}

/// A parsed `fieldSelector` query parameter: `field=value`, `field==value`,
/// `field!=value`, joined by commas.
///
/// Supported fields: `metadata.name`, `metadata.namespace` for every kind;
/// `spec.nodeName`, `status.phase` for pods; `involvedObject.*`, `reason`,
/// `type`, `source` for core events; `regarding.*`, `reason`, `type` for
/// events.k8s.io events. Others are rejected with 400, as Kubernetes does.
struct FieldSelectorQuery: Sendable {
    var requirements: [(field: String, value: String, equal: Bool)]

    init(parsing text: String, type: ResourceType) throws {
        requirements = []
        for term in text.split(separator: ",").map(String.init) where !term.isEmpty {
            let requirement: (String, String, Bool)
            if let r = term.range(of: "!=") {
                requirement = (String(term[..<r.lowerBound]), String(term[r.upperBound...]), false)
            } else if let r = term.range(of: "==") ?? term.range(of: "=") {
                requirement = (String(term[..<r.lowerBound]), String(term[r.upperBound...]), true)
            } else {
                throw APIError.badRequest("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            guard Self.supported(requirement.0, type) else {
                throw APIError.badRequest("field label not supported: \(requirement.0)")
            }
            requirements.append(requirement)
        }
    }

    private static func supported(_ field: String, _ type: ResourceType) -> Bool {
        if field == "metadata.name" || field == "metadata.namespace" { return true }
        switch (type.group, type.plural) {
        case ("", "pods"): return ["spec.nodeName", "status.phase", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.podIP"].contains(field)
        case ("", "events"): return field.hasPrefix("involvedObject.") || ["reason", "type", "source", "reportingComponent"].contains(field)
        case ("events.k8s.io", "events"): return field.hasPrefix("regarding.") || ["reason", "type", "reportingController"].contains(field)
        case ("", "secrets"): return field == "type"
        case ("", "namespaces"): return field == "status.phase"
        default: return false
        }
    }

    func matches(_ object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let path = requirement.field.split(separator: ".").map(String.init)
            let actual = JSONCoding.value(object, path).map(JSONCoding.plainText) ?? ""
            return (actual == requirement.value) == requirement.equal
        }
    }
}
