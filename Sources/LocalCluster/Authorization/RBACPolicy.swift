import KubeClient

/// The Role, ClusterRole, RoleBinding and ClusterRoleBinding objects,
/// indexed by subject: authorizing a request looks up the bindings of the
/// caller's name and of each of its groups, cluster-wide and in the
/// request's namespace, and tests only the rules of the roles they name.
///
/// Kept up to date one object at a time (`apply`), so a change costs in
/// proportion to that object, not to the whole policy (a ClusterRole change
/// recomputes aggregation over the ClusterRoles). A ServiceAccount subject
/// is indexed under its user name (`system:serviceaccount:<ns>:<name>`; in
/// a RoleBinding its namespace defaults to the binding's). A binding whose
/// role does not exist grants nothing and is reported as a resolution error
/// for the users it names, as the real server does. A ClusterRole with an
/// `aggregationRule` also holds the rules of every ClusterRole its
/// selectors match. A value; not synchronised.
struct RBACPolicy: Sendable {
    /// What one binding grants one subject.
    struct Grant: Sendable {
        fileprivate var binding: Binding
        fileprivate var subject: Subject
        var rules: [PolicyRule]
        /// Why the binding grants nothing (its role is missing), if so.
        var error: String?

        /// `ClusterRoleBinding "b" of ClusterRole "r" to User "u"`, for review reasons.
        var source: String {
            let label = binding.namespace.map { "RoleBinding \(GoFormat.quoted("\(binding.name)/\($0)"))" }
                ?? "ClusterRoleBinding \(GoFormat.quoted(binding.name))"
            return "\(label) of \(binding.roleKind) \(GoFormat.quoted(binding.roleName)) to \(subject.described)"
        }
    }

    /// One subject of a stored binding.
    fileprivate struct Subject: Sendable {
        var isGroup: Bool
        /// The user name or group name it matches.
        var key: String
        /// `User "u"`, `ServiceAccount "name/namespace"`.
        var described: String
    }

    /// A stored RoleBinding (with a namespace) or ClusterRoleBinding.
    fileprivate struct Binding: Sendable {
        var name: String
        var namespace: String?
        var roleKind: String
        var roleName: String
        var subjects: [Subject]
    }

    /// A stored ClusterRole as written, before aggregation.
    private struct ClusterRole: Sendable {
        var rules: [PolicyRule]
        var labels: [String: String]
        var selectors: [LabelSelectorQuery]?
    }

    private var roles: [String: [PolicyRule]] = [:]
    private var clusterRoles: [String: ClusterRole] = [:]
    /// ClusterRole rules with aggregation applied.
    private var clusterRoleRules: [String: [PolicyRule]] = [:]
    /// Binding key (`namespace/name` or `name`) -> binding.
    private var bindings: [String: Binding] = [:]
    /// Subject key -> binding keys, for ClusterRoleBindings; and per namespace for RoleBindings.
    private var clusterUsers: [String: [String]] = [:]
    private var clusterGroups: [String: [String]] = [:]
    private var namespaceUsers: [String: [String: [String]]] = [:]
    private var namespaceGroups: [String: [String: [String]]] = [:]

    /// An empty policy: grants nothing.
    init() {}

    /// A policy of these objects.
    init(roles: [JSONValue], clusterRoles: [JSONValue], roleBindings: [JSONValue], clusterRoleBindings: [JSONValue]) {
        for role in roles { apply(plural: "roles", object: role, deleted: false) }
        for role in clusterRoles { apply(plural: "clusterroles", object: role, deleted: false) }
        for binding in clusterRoleBindings { apply(plural: "clusterrolebindings", object: binding, deleted: false) }
        for binding in roleBindings { apply(plural: "rolebindings", object: binding, deleted: false) }
    }

    /// Takes in one stored (or, with `deleted`, removed) object of kind
    /// `plural` (`roles`, `clusterroles`, `rolebindings`, `clusterrolebindings`).
    mutating func apply(plural: String, object: JSONValue, deleted: Bool) {
        guard let name = object["metadata"]?["name"]?.stringValue else { return }
        let namespace = object["metadata"]?["namespace"]?.stringValue
        switch plural {
        case "roles":
            guard let namespace else { return }
            roles["\(namespace)/\(name)"] = deleted ? nil : PolicyRule.rules(of: object)
        case "clusterroles":
            clusterRoles[name] = deleted ? nil : ClusterRole(
                rules: PolicyRule.rules(of: object),
                labels: (object["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
                selectors: object["aggregationRule"]?["clusterRoleSelectors"]?.arrayValue?.compactMap(LabelSelectorQuery.init(selector:)))
            aggregate()
        case "rolebindings", "clusterrolebindings":
            let scope = plural == "rolebindings" ? namespace : nil
            if plural == "rolebindings" && scope == nil { return }
            let key = scope.map { "\($0)/\(name)" } ?? name
            unindex(key)
            if !deleted { index(key, Self.binding(object, name: name, namespace: scope)) }
        default:
            return
        }
    }

    /// Recomputes every ClusterRole's rules with aggregation applied, to a
    /// fixed point (an aggregated role can be aggregated by another).
    private mutating func aggregate() {
        var rules = clusterRoles.mapValues(\.rules)
        let aggregating = clusterRoles.filter { $0.value.selectors != nil }
        for _ in 0..<max(1, aggregating.count) {
            var changed = false
            for (name, role) in aggregating {
                var combined = rules[name] ?? []
                for (other, candidate) in clusterRoles where other != name && role.selectors!.contains(where: { $0.matches(candidate.labels) }) {
                    for rule in rules[other] ?? [] where !combined.contains(rule) {
                        combined.append(rule)
                        changed = true
                    }
                }
                rules[name] = combined
            }
            if !changed { break }
        }
        clusterRoleRules = rules
    }

    private static func binding(_ object: JSONValue, name: String, namespace: String?) -> Binding {
        var subjects: [Subject] = []
        for subject in object["subjects"]?.arrayValue ?? [] {
            let kind = subject["kind"]?.stringValue ?? ""
            let subjectName = subject["name"]?.stringValue ?? ""
            switch kind {
            case "User", "Group":
                subjects.append(Subject(isGroup: kind == "Group", key: subjectName, described: "\(kind) \(GoFormat.quoted(subjectName))"))
            case "ServiceAccount":
                let accountNamespace = subject["namespace"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? namespace ?? ""
                guard !accountNamespace.isEmpty, !subjectName.isEmpty else { continue }
                subjects.append(Subject(isGroup: false, key: UserInfo.serviceAccountUserName(namespace: accountNamespace, name: subjectName),
                                        described: "ServiceAccount \(GoFormat.quoted("\(subjectName)/\(accountNamespace)"))"))
            default:
                continue
            }
        }
        return Binding(name: name, namespace: namespace, roleKind: object["roleRef"]?["kind"]?.stringValue ?? "",
                       roleName: object["roleRef"]?["name"]?.stringValue ?? "", subjects: subjects)
    }

    private mutating func index(_ key: String, _ binding: Binding) {
        bindings[key] = binding
        for subject in binding.subjects {
            switch (subject.isGroup, binding.namespace) {
            case (false, nil): clusterUsers[subject.key, default: []].append(key)
            case (true, nil): clusterGroups[subject.key, default: []].append(key)
            case (false, let namespace?): namespaceUsers[namespace, default: [:]][subject.key, default: []].append(key)
            case (true, let namespace?): namespaceGroups[namespace, default: [:]][subject.key, default: []].append(key)
            }
        }
    }

    private mutating func unindex(_ key: String) {
        guard let binding = bindings.removeValue(forKey: key) else { return }
        func drop(_ keys: inout [String]?) {
            keys?.removeAll { $0 == key }
            if keys?.isEmpty == true { keys = nil }
        }
        for subject in binding.subjects {
            switch (subject.isGroup, binding.namespace) {
            case (false, nil): drop(&clusterUsers[subject.key])
            case (true, nil): drop(&clusterGroups[subject.key])
            case (false, let namespace?): drop(&namespaceUsers[namespace, default: [:]][subject.key])
            case (true, let namespace?): drop(&namespaceGroups[namespace, default: [:]][subject.key])
            }
        }
    }

    /// The grants that apply to `user` in `namespace` ("" for cluster scope
    /// only): its ClusterRoleBindings first, then the RoleBindings of the namespace.
    func grants(for user: UserInfo, namespace: String) -> [Grant] {
        var result: [Grant] = []
        func add(_ keys: [String]?, _ subjectKey: String, group: Bool) {
            for key in keys ?? [] {
                guard let binding = bindings[key],
                      let subject = binding.subjects.first(where: { $0.key == subjectKey && $0.isGroup == group }) else { continue }
                result.append(grant(binding, subject))
            }
        }
        add(clusterUsers[user.name], user.name, group: false)
        for group in user.groups { add(clusterGroups[group], group, group: true) }
        if !namespace.isEmpty {
            if let users = namespaceUsers[namespace] { add(users[user.name], user.name, group: false) }
            if let groups = namespaceGroups[namespace] { for group in user.groups { add(groups[group], group, group: true) } }
        }
        return result
    }

    private func grant(_ binding: Binding, _ subject: Subject) -> Grant {
        if let rules = rules(ofRoleRef: binding.roleKind, name: binding.roleName, bindingNamespace: binding.namespace) {
            return Grant(binding: binding, subject: subject, rules: rules)
        }
        let error = switch binding.roleKind {
        case "ClusterRole": "clusterrole.rbac.authorization.k8s.io \(GoFormat.quoted(binding.roleName)) not found"
        case "Role": "role.rbac.authorization.k8s.io \(GoFormat.quoted(binding.roleName)) not found"
        default: "unsupported role reference kind: \(GoFormat.quoted(binding.roleKind))"
        }
        return Grant(binding: binding, subject: subject, rules: [], error: error)
    }

    /// Whether some binding of the caller allows the request; the reason
    /// names the binding that allowed it, or the roles that could not be
    /// resolved when nothing did (empty otherwise).
    func decide(_ request: RequestAttributes) -> AuthorizationDecision {
        var errors: [String] = []
        for grant in grants(for: request.user, namespace: request.namespace) {
            if let error = grant.error {
                if !errors.contains(error) { errors.append(error) }
                continue
            }
            if grant.rules.contains(where: { $0.allows(request) }) {
                return AuthorizationDecision(allowed: true, reason: "RBAC: allowed by \(grant.source)")
            }
        }
        return AuthorizationDecision(allowed: false, reason: Self.reason(errors))
    }

    /// Every rule `user` holds in `namespace` (cluster-wide ones included),
    /// and the role references that could not be resolved.
    func rules(for user: UserInfo, namespace: String) -> (rules: [PolicyRule], errors: [String]) {
        var rules: [PolicyRule] = []
        var errors: [String] = []
        for grant in grants(for: user, namespace: namespace) {
            if let error = grant.error, !errors.contains(error) { errors.append(error) }
            rules += grant.rules
        }
        return (rules, errors)
    }

    /// The rules a binding's `roleRef` names, or nil when the role does not exist.
    func rules(ofRoleRef kind: String, name: String, bindingNamespace: String?) -> [PolicyRule]? {
        switch (kind, bindingNamespace) {
        case ("ClusterRole", _): return clusterRoleRules[name]
        case ("Role", let namespace?): return roles["\(namespace)/\(name)"]
        default: return nil
        }
    }

    /// `RBAC: <error>` or `RBAC: [<error>, <error>]`, as the API server aggregates them; empty for none.
    static func reason(_ errors: [String]) -> String {
        switch errors.count {
        case 0: return ""
        case 1: return "RBAC: \(errors[0])"
        default: return "RBAC: [\(errors.joined(separator: ", "))]"
        }
    }
}
