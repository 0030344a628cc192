import Foundation

/// One permission: a verb on a resource (or `resource/subresource`) of an API
/// group, the unit in which RBAC rules and API requests are compared.
struct RBACPermission: Hashable, Comparable, CustomStringConvertible, Sendable {
    /// The API group, "" for the core group.
    var apiGroup: String
    /// The plural resource, with `/subresource` when there is one.
    var resource: String
    /// The RBAC verb (get, list, watch, create, update, patch, delete, deletecollection, ...).
    var verb: String

    var description: String { "\(apiGroup.isEmpty ? "core" : apiGroup) \(resource) \(verb)" }

    static func < (lhs: RBACPermission, rhs: RBACPermission) -> Bool {
        (lhs.apiGroup, lhs.resource, lhs.verb) < (rhs.apiGroup, rhs.resource, rhs.verb)
    }

    /// Expands the `rules` of a Role or ClusterRole into single permissions.
    ///
    /// Throws `RBACRuleError` for what a comparison cannot be honest about: a
    /// wildcard (`*`) group, resource or verb, `resourceNames` (narrower than a
    /// plain permission) and `nonResourceURLs`.
    static func expand(rules: [[String: Any]]) throws -> Set<RBACPermission> {
        var permissions = Set<RBACPermission>()
        for rule in rules {
            if rule["resourceNames"] != nil || rule["nonResourceURLs"] != nil {
                throw RBACRuleError(rule: "\(rule)", reason: "resourceNames and nonResourceURLs are not compared")
            }
            let groups = (rule["apiGroups"] as? [Any] ?? []).map { "\($0)" }
            let resources = (rule["resources"] as? [Any] ?? []).map { "\($0)" }
            let verbs = (rule["verbs"] as? [Any] ?? []).map { "\($0)" }
            guard !groups.isEmpty, !resources.isEmpty, !verbs.isEmpty else {
                throw RBACRuleError(rule: "\(rule)", reason: "a rule needs apiGroups, resources and verbs")
            }
            if (groups + resources + verbs).contains("*") {
                throw RBACRuleError(rule: "\(rule)", reason: "wildcards grant more than any operator needs")
            }
            for group in groups {
                for resource in resources {
                    for verb in verbs {
                        permissions.insert(RBACPermission(apiGroup: group, resource: resource, verb: verb))
                    }
                }
            }
        }
        return permissions
    }
}

/// A rule that cannot be expanded into plain permissions.
struct RBACRuleError: Error, CustomStringConvertible {
    var rule: String
    var reason: String
    var description: String { "RBAC rule \(rule): \(reason)" }
}
