import KubeClient

/// The Role, ClusterRole, RoleBinding and ClusterRoleBinding objects of one
/// moment, indexed by subject: authorizing a request looks up the grants of
/// the caller's name and of each of its groups, cluster-wide and in the
/// request's namespace, and tests only their rules.
///
/// A ServiceAccount subject is indexed under its user name
/// (`system:serviceaccount:<ns>:<name>`; in a RoleBinding its namespace
/// defaults to the binding's). A binding whose role does not exist grants
/// nothing and is remembered as a resolution error for the users it names,
/// which a refusal reports as the real server does. A ClusterRole with an
/// `aggregationRule` also holds the rules of every ClusterRole its
/// selectors match. A value: immutable once built, safe to share.
struct RBACPolicy: Sendable {
    /// What one binding grants one subject.
    struct Grant: Sendable {
        /// `ClusterRoleBinding "b" of ClusterRole "r" to User "u"`, for review reasons.
        var source: String
        var rules: [PolicyRule]
        /// Why the binding grants nothing (its role is missing), if so.
        var error: String?
    }

    /// Grants of ClusterRoleBindings, by user name and by group.
    private var clusterUsers: [String: [Grant]] = [:]
    private var clusterGroups: [String: [Grant]] = [:]
    /// Grants of RoleBindings: namespace -> user name or group -> grants.
    private var namespaceUsers: [String: [String: [Grant]]] = [:]
    private var namespaceGroups: [String: [String: [Grant]]] = [:]
    /// Rules of each ClusterRole (aggregation applied) and each Role (`namespace/name`).
    private(set) var clusterRoleRules: [String: [PolicyRule]] = [:]
    private(set) var roleRules: [String: [PolicyRule]] = [:]

    /// An empty policy: grants nothing.
    init() {}

    init(roles: [JSONValue], clusterRoles: [JSONValue], roleBindings: [JSONValue], clusterRoleBindings: [JSONValue]) {
        for role in roles {
            guard let name = role["metadata"]?["name"]?.stringValue, let namespace = role["metadata"]?["namespace"]?.stringValue else { continue }
            roleRules["\(namespace)/\(name)"] = PolicyRule.rules(of: role)
        }
        clusterRoleRules = Self.aggregated(clusterRoles)
        for binding in clusterRoleBindings.sorted(by: Self.byName) {
            index(binding, namespace: nil)
        }
        for binding in roleBindings.sorted(by: Self.byName) {
            guard let namespace = binding["metadata"]?["namespace"]?.stringValue else { continue }
            index(binding, namespace: namespace)
        }
    }

    private static func byName(_ a: JSONValue, _ b: JSONValue) -> Bool {
        (a["metadata"]?["name"]?.stringValue ?? "") < (b["metadata"]?["name"]?.stringValue ?? "")
    }

    /// The rules of every ClusterRole, with each aggregated role holding the
    /// rules of the roles its selectors match (to a fixed point, so an
    /// aggregated role can aggregate another).
    private static func aggregated(_ clusterRoles: [JSONValue]) -> [String: [PolicyRule]] {
        var rules: [String: [PolicyRule]] = [:]
        var labels: [String: [String: String]] = [:]
        var selectors: [String: [LabelSelectorQuery]] = [:]
        for role in clusterRoles {
            guard let name = role["metadata"]?["name"]?.stringValue else { continue }
            rules[name] = PolicyRule.rules(of: role)
            labels[name] = (role["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            if let terms = role["aggregationRule"]?["clusterRoleSelectors"]?.arrayValue {
                selectors[name] = terms.compactMap(LabelSelectorQuery.init(selector:))
            }
        }
        guard !selectors.isEmpty else { return rules }
        for _ in 0..<max(1, selectors.count) {
            var changed = false
            for (name, queries) in selectors {
                var combined = rules[name] ?? []
                for (other, otherLabels) in labels where other != name && queries.contains(where: { $0.matches(otherLabels) }) {
                    for rule in rules[other] ?? [] where !combined.contains(rule) {
                        combined.append(rule)
                        changed = true
                    }
                }
                rules[name] = combined
            }
            if !changed { break }
        }
        return rules
    }

    private mutating func index(_ binding: JSONValue, namespace: String?) {
        let bindingName = binding["metadata"]?["name"]?.stringValue ?? ""
        let roleKind = binding["roleRef"]?["kind"]?.stringValue ?? ""
        let roleName = binding["roleRef"]?["name"]?.stringValue ?? ""
        var rules: [PolicyRule] = []
        var error: String?
        switch (roleKind, namespace) {
        case ("ClusterRole", _):
            if let found = clusterRoleRules[roleName] { rules = found } else {
                error = "clusterrole.rbac.authorization.k8s.io \(GoFormat.quoted(roleName)) not found"
            }
        case ("Role", let namespace?):
            if let found = roleRules["\(namespace)/\(roleName)"] { rules = found } else {
                error = "role.rbac.authorization.k8s.io \(GoFormat.quoted(roleName)) not found"
            }
        default:
            error = "unsupported role reference kind: \(GoFormat.quoted(roleKind))"
        }
        let bindingLabel = namespace.map { "RoleBinding \(GoFormat.quoted("\(bindingName)/\($0)"))" }
            ?? "ClusterRoleBinding \(GoFormat.quoted(bindingName))"
        for subject in binding["subjects"]?.arrayValue ?? [] {
            let kind = subject["kind"]?.stringValue ?? ""
            let name = subject["name"]?.stringValue ?? ""
            let key: String
            let described: String
            switch kind {
            case "User", "Group":
                key = name
                described = "\(kind) \(GoFormat.quoted(name))"
            case "ServiceAccount":
                let accountNamespace = subject["namespace"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? namespace ?? ""
                guard !accountNamespace.isEmpty, !name.isEmpty else { continue }
                key = UserInfo.serviceAccountUserName(namespace: accountNamespace, name: name)
                described = "ServiceAccount \(GoFormat.quoted("\(name)/\(accountNamespace)"))"
            default:
                continue
            }
            let grant = Grant(source: "\(bindingLabel) of \(roleKind) \(GoFormat.quoted(roleName)) to \(described)", rules: rules, error: error)
            switch (kind == "Group", namespace) {
            case (false, nil): clusterUsers[key, default: []].append(grant)
            case (true, nil): clusterGroups[key, default: []].append(grant)
            case (false, let namespace?): namespaceUsers[namespace, default: [:]][key, default: []].append(grant)
            case (true, let namespace?): namespaceGroups[namespace, default: [:]][key, default: []].append(grant)
            }
        }
    }

    /// The grants that apply to `user` in `namespace` ("" for cluster scope
    /// only): its ClusterRoleBindings first, then the RoleBindings of the namespace.
    func grants(for user: UserInfo, namespace: String) -> [Grant] {
        var result = clusterUsers[user.name] ?? []
        for group in user.groups { result += clusterGroups[group] ?? [] }
        if !namespace.isEmpty {
            if let users = namespaceUsers[namespace] { result += users[user.name] ?? [] }
            if let groups = namespaceGroups[namespace] { for group in user.groups { result += groups[group] ?? [] } }
        }
        return result
    }

    /// Whether some binding of the caller allows the request; the reason
    /// names the binding that allowed it, or the roles that could not be
    /// resolved when nothing did (empty otherwise).
    func decide(_ request: RequestAttributes) -> AuthorizationDecision {
        var errors: [String] = []
        // Cluster bindings first, then the namespace's; stop at the first rule that allows.
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
        case ("Role", let namespace?): return roleRules["\(namespace)/\(name)"]
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
