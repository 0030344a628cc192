import KubeClient

/// One rule of a Role or ClusterRole (`rbac.authorization.k8s.io/v1`
/// PolicyRule): verbs on resources of API groups, optionally narrowed to
/// resourceNames; or verbs on nonResourceURLs. `*` in verbs, apiGroups or
/// resources matches anything; `*/status` matches the status subresource of
/// any resource; a nonResourceURL ending in `*` matches any path it prefixes.
struct PolicyRule: Sendable, Hashable {
    var verbs: [String]
    var apiGroups: [String]
    var resources: [String]
    var resourceNames: [String]
    var nonResourceURLs: [String]

    init(verbs: [String], apiGroups: [String] = [], resources: [String] = [], resourceNames: [String] = [], nonResourceURLs: [String] = []) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }

    /// A rule as a Role's `rules[]` entry holds it; missing lists are empty.
    init(json: JSONValue) {
        func strings(_ key: String) -> [String] { (json[key]?.arrayValue ?? []).compactMap(\.stringValue) }
        self.init(verbs: strings("verbs"), apiGroups: strings("apiGroups"), resources: strings("resources"),
                  resourceNames: strings("resourceNames"), nonResourceURLs: strings("nonResourceURLs"))
    }

    /// The rules of a Role or ClusterRole object.
    static func rules(of role: JSONValue) -> [PolicyRule] {
        (role["rules"]?.arrayValue ?? []).map(PolicyRule.init(json:))
    }

    /// The rule as JSON, omitting empty lists (as the API server serialises it).
    var json: JSONValue {
        var object: [String: JSONValue] = ["verbs": .array(verbs.map(JSONValue.string))]
        if !apiGroups.isEmpty || !resources.isEmpty { object["apiGroups"] = .array(apiGroups.map(JSONValue.string)) }
        if !resources.isEmpty { object["resources"] = .array(resources.map(JSONValue.string)) }
        if !resourceNames.isEmpty { object["resourceNames"] = .array(resourceNames.map(JSONValue.string)) }
        if !nonResourceURLs.isEmpty { object["nonResourceURLs"] = .array(nonResourceURLs.map(JSONValue.string)) }
        return .object(object)
    }

    // MARK: Matching a request

    /// Whether this rule allows the request.
    func allows(_ request: RequestAttributes) -> Bool {
        guard verbs.contains("*") || verbs.contains(request.verb) else { return false }
        if !request.isResourceRequest {
            return nonResourceURLs.contains { Self.url($0, covers: request.path) }
        }
        guard apiGroups.contains("*") || apiGroups.contains(request.apiGroup) else { return false }
        guard matchesResource(request.combinedResource, subresource: request.subresource) else { return false }
        return resourceNames.isEmpty || resourceNames.contains(request.name)
    }

    private func matchesResource(_ combined: String, subresource: String) -> Bool {
        for resource in resources {
            if resource == "*" || resource == combined { return true }
            if !subresource.isEmpty, resource.hasPrefix("*/"), resource.dropFirst(2) == subresource { return true }
        }
        return false
    }

    private static func url(_ pattern: String, covers path: String) -> Bool {
        if pattern == "*" || pattern == path { return true }
        return pattern.hasSuffix("*") && path.hasPrefix(pattern.dropLast())
    }

    // MARK: Comparing rules (escalation prevention)

    /// The rule split into rules of one group, one resource, one verb and at
    /// most one resourceName (or one nonResourceURL and one verb).
    var brokenDown: [PolicyRule] {
        var result: [PolicyRule] = []
        for group in apiGroups {
            for resource in resources {
                for verb in verbs {
                    if resourceNames.isEmpty {
                        result.append(PolicyRule(verbs: [verb], apiGroups: [group], resources: [resource]))
                    } else {
                        for name in resourceNames {
                            result.append(PolicyRule(verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name]))
                        }
                    }
                }
            }
        }
        for url in nonResourceURLs {
            for verb in verbs { result.append(PolicyRule(verbs: [verb], nonResourceURLs: [url])) }
        }
        return result
    }

    /// Whether holding this rule means holding everything `other` grants.
    func covers(_ other: PolicyRule) -> Bool {
        func all(_ owner: [String], _ wanted: [String]) -> Bool { owner.contains("*") || wanted.allSatisfy(owner.contains) }
        guard all(verbs, other.verbs), all(apiGroups, other.apiGroups) else { return false }
        let resourcesCovered = resources.contains("*") || other.resources.allSatisfy { wanted in
            if resources.contains(wanted) { return true }
            guard let slash = wanted.firstIndex(of: "/") else { return false }
            return resources.contains("*" + wanted[slash...])
        }
        guard resourcesCovered else { return false }
        guard other.nonResourceURLs.allSatisfy({ wanted in nonResourceURLs.contains { Self.url($0, covers: wanted) } }) else { return false }
        if other.resourceNames.isEmpty { return resourceNames.isEmpty }
        return resourceNames.isEmpty || other.resourceNames.allSatisfy(resourceNames.contains)
    }

    /// The parts of `wanted` that no rule of `held` covers, as broken-down
    /// rules, in the order `wanted` lists them.
    static func uncovered(_ wanted: [PolicyRule], by held: [PolicyRule]) -> [PolicyRule] {
        wanted.flatMap(\.brokenDown).filter { part in !held.contains { $0.covers(part) } }
    }

    /// Merges broken-down rules that differ only in their verb (one group,
    /// one resource, at most one resourceName), for a short message.
    static func compacted(_ rules: [PolicyRule]) -> [PolicyRule] {
        var result: [PolicyRule] = []
        var simple: [PolicyRule: Int] = [:]
        for rule in rules {
            let isSimple = rule.apiGroups.count == 1 && rule.resources.count == 1 && rule.resourceNames.count <= 1 && rule.nonResourceURLs.isEmpty
            guard isSimple else { result.append(rule); continue }
            var key = rule
            key.verbs = []
            if let index = simple[key] {
                result[index].verbs += rule.verbs.filter { !result[index].verbs.contains($0) }
            } else {
                simple[key] = result.count
                result.append(rule)
            }
        }
        return result
    }

    /// The rule as the API server writes it in an escalation refusal:
    /// `{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}`.
    var compactDescription: String {
        var parts: [String] = []
        if !apiGroups.isEmpty { parts.append("APIGroups:\(GoFormat.quotedList(apiGroups))") }
        if !resources.isEmpty { parts.append("Resources:\(GoFormat.quotedList(resources))") }
        if !nonResourceURLs.isEmpty { parts.append("NonResourceURLs:\(GoFormat.quotedList(nonResourceURLs))") }
        if !resourceNames.isEmpty { parts.append("ResourceNames:\(GoFormat.quotedList(resourceNames))") }
        if !verbs.isEmpty { parts.append("Verbs:\(GoFormat.quotedList(verbs))") }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
