import KubeClient

extension RBACAuthorizer {
    /// Refuses (403) a create or update of a Role, ClusterRole, RoleBinding
    /// or ClusterRoleBinding by which `user` would grant permissions it does
    /// not hold, as the real API server's RBAC storage does:
    ///
    /// - a Role or ClusterRole is allowed if the caller may `escalate`
    ///   roles/clusterroles (for that name, in that namespace), or holds every
    ///   rule it lists (in the role's namespace, or cluster-wide); setting an
    ///   `aggregationRule` needs full authority;
    /// - a binding is allowed if the caller may `bind` the role it references,
    ///   or holds every rule of that role (in the binding's namespace, or
    ///   cluster-wide); a reference to a missing role is then 404.
    ///
    /// `object` is the object as it would be stored, `old` the stored one for
    /// an update (changing only what the garbage collector changes, owner
    /// references and finalizers, is always allowed). `system:masters` and
    /// other kinds pass.
    func checkEscalation(_ type: ResourceType, object: JSONValue, old: JSONValue?, namespace: String?, user: UserInfo) throws {
        guard type.group == Self.group, !user.isMaster else { return }
        if let old, Self.relevantPart(object) == Self.relevantPart(old) { return }
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        let scope = type.namespaced ? (namespace ?? "") : ""
        switch type.plural {
        case "roles", "clusterroles":
            let escalate = RequestAttributes.resource(user: user, verb: "escalate", group: Self.group, resource: type.plural, namespace: scope, name: name)
            if authorize(escalate).allowed { return }
            try confirmHeld(PolicyRule.rules(of: object), type: type, name: name, namespace: scope, user: user)
            if type.plural == "clusterroles", let aggregation = object["aggregationRule"], aggregation != .null {
                let held = rules(for: user, namespace: "").rules
                if !PolicyRule.uncovered(Self.fullAuthority, by: held).isEmpty {
                    throw Self.forbidden(group: Self.group, resource: type.plural, name: name,
                                         "must have cluster-admin privileges to use the aggregationRule")
                }
            }
        case "rolebindings", "clusterrolebindings":
            let kind = object["roleRef"]?["kind"]?.stringValue ?? ""
            let roleName = object["roleRef"]?["name"]?.stringValue ?? ""
            let roleGroup = object["roleRef"]?["apiGroup"]?.stringValue ?? ""
            let rolePlural = kind == "ClusterRole" ? "clusterroles" : "roles"
            if kind == "ClusterRole" || kind == "Role" {
                let bind = RequestAttributes.resource(user: user, verb: "bind", group: roleGroup, resource: rolePlural, namespace: scope, name: roleName)
                if authorize(bind).allowed { return }
            }
            guard let rules = self.rules(ofRoleRef: kind, name: roleName, bindingNamespace: type.namespaced ? scope : nil) else {
                let roleType = ResourceType.builtIn.first { $0.group == Self.group && $0.plural == rolePlural }!
                throw APIError.notFound(roleType, roleName)
            }
            try confirmHeld(rules, type: type, name: name, namespace: scope, user: user)
        default:
            return
        }
    }

    /// Throws the real server's escalation refusal unless `user` holds every
    /// rule of `wanted` in `namespace` (cluster-wide when empty).
    private func confirmHeld(_ wanted: [PolicyRule], type: ResourceType, name: String, namespace: String, user: UserInfo) throws {
        let held = rules(for: user, namespace: namespace)
        let missing = PolicyRule.uncovered(wanted, by: held.rules)
        if missing.isEmpty { return }
        let lines = Set(PolicyRule.compacted(missing).map(\.compactDescription)).sorted()
        var message = "user \(GoFormat.quoted(user.name)) (groups=\(GoFormat.quotedList(user.groups))) is attempting to grant RBAC permissions not currently held:\n"
            + lines.joined(separator: "\n")
        if !held.errors.isEmpty { message += "; resolution errors: [\(held.errors.joined(separator: " "))]" }
        throw Self.forbidden(group: Self.group, resource: type.plural, name: name, message)
    }

    /// What an escalation check looks at: everything but the fields the
    /// server and the garbage collector maintain.
    private static func relevantPart(_ object: JSONValue) -> JSONValue {
        var copy = object
        copy["apiVersion"] = nil
        copy["kind"] = nil
        for field in ["ownerReferences", "finalizers", "resourceVersion", "managedFields", "uid", "creationTimestamp", "generation",
                      "deletionTimestamp", "deletionGracePeriodSeconds"] {
            copy["metadata"]?[field] = nil
        }
        return copy
    }
}
