import Foundation
import KubeClient

/// One permission: a verb on a resource (or `resource/subresource`) of an API
/// group, the unit in which RBAC rules and API requests are compared.
public struct RBACPermission: Hashable, Comparable, CustomStringConvertible, Sendable {
    /// The API group, "" for the core group.
    public var apiGroup: String
    /// The plural resource, with `/subresource` when there is one.
    public var resource: String
    /// The RBAC verb (get, list, watch, create, update, patch, delete, deletecollection, ...).
    public var verb: String

    public init(apiGroup: String, resource: String, verb: String) {
        self.apiGroup = apiGroup
        self.resource = resource
        self.verb = verb
    }

    public var description: String { "\(apiGroup.isEmpty ? "core" : apiGroup) \(resource) \(verb)" }

    public static func < (lhs: RBACPermission, rhs: RBACPermission) -> Bool {
        (lhs.apiGroup, lhs.resource, lhs.verb) < (rhs.apiGroup, rhs.resource, rhs.verb)
    }

    /// Expands the `rules` of a Role or ClusterRole into single permissions.
    ///
    /// Throws `RBACRuleError` for what a comparison cannot be honest about: a
    /// wildcard (`*`) group, resource or verb, `resourceNames` (narrower than a
    /// plain permission) and `nonResourceURLs`.
    public static func expand(rules: [[String: Any]]) throws -> Set<RBACPermission> {
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

    /// `expand(rules:)` for rules parsed as `JSONValue` (e.g. with
    /// `JSONValue.documents(yaml:)`), with the same errors.
    public static func expand(rules: [JSONValue]) throws -> Set<RBACPermission> {
        let data = try JSONEncoder().encode(JSONValue.array(rules))
        guard let plain = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw RBACRuleError(rule: "\(rules)", reason: "every rule must be an object")
        }
        return try expand(rules: plain)
    }
}

/// A rule that cannot be expanded into plain permissions.
public struct RBACRuleError: Error, CustomStringConvertible {
    public var rule: String
    public var reason: String
    public init(rule: String, reason: String) {
        self.rule = rule
        self.reason = reason
    }

    public var description: String { "RBAC rule \(rule): \(reason)" }
}
