import KubeClient

/// The ClusterRoles and ClusterRoleBindings every cluster starts with, as a
/// real API server creates them (labelled `kubernetes.io/bootstrapping:
/// rbac-defaults`): `cluster-admin` bound to `system:masters`; the
/// user-facing `admin`, `edit` and `view` (aggregated roles, as upstream,
/// so a ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-view:
/// "true"` extends `view`, `edit` and `admin`); `system:discovery`,
/// `system:basic-user` and `system:public-info-viewer` bound to
/// `system:authenticated` (the last one also to `system:unauthenticated`).
enum BootstrapPolicy {
    static let unauthenticatedGroup = "system:unauthenticated"

    private static let read = ["get", "list", "watch"]
    private static let write = ["create", "delete", "deletecollection", "patch", "update"]

    /// The default ClusterRoles; the aggregated ones already hold what they aggregate.
    static var clusterRoles: [JSONValue] {
        [
            clusterRole("cluster-admin", rules: RBACAuthorizer.fullAuthority),
            clusterRole("system:discovery", rules: [
                PolicyRule(verbs: ["get"], nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
                                                             "/readyz", "/version", "/version/"]),
            ]),
            clusterRole("system:basic-user", rules: [
                PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
                PolicyRule(verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"]),
            ]),
            clusterRole("system:public-info-viewer", rules: [
                PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"]),
            ]),
            clusterRole("system:aggregate-to-view", labels: ["rbac.authorization.k8s.io/aggregate-to-view": "true"], rules: viewRules),
            clusterRole("system:aggregate-to-edit", labels: ["rbac.authorization.k8s.io/aggregate-to-edit": "true"], rules: editRules),
            clusterRole("system:aggregate-to-admin", labels: ["rbac.authorization.k8s.io/aggregate-to-admin": "true"], rules: adminRules),
            clusterRole("view", labels: ["rbac.authorization.k8s.io/aggregate-to-edit": "true"], rules: viewRules,
                        aggregateFrom: "rbac.authorization.k8s.io/aggregate-to-view"),
            clusterRole("edit", labels: ["rbac.authorization.k8s.io/aggregate-to-admin": "true"], rules: viewRules + editRules,
                        aggregateFrom: "rbac.authorization.k8s.io/aggregate-to-edit"),
            clusterRole("admin", rules: viewRules + editRules + adminRules, aggregateFrom: "rbac.authorization.k8s.io/aggregate-to-admin"),
        ]
    }

    /// The default ClusterRoleBindings, each named as the ClusterRole it binds.
    static var clusterRoleBindings: [JSONValue] {
        [
            clusterRoleBinding("cluster-admin", groups: [UserInfo.mastersGroup]),
            clusterRoleBinding("system:discovery", groups: [UserInfo.authenticatedGroup]),
            clusterRoleBinding("system:basic-user", groups: [UserInfo.authenticatedGroup]),
            clusterRoleBinding("system:public-info-viewer", groups: [UserInfo.authenticatedGroup, unauthenticatedGroup]),
        ]
    }

    /// Reading the ordinary namespaced kinds (not Secrets), as upstream `view`.
    static let viewRules = [
        PolicyRule(verbs: read, apiGroups: [""], resources: [
            "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "pods/log", "pods/status",
            "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status", "serviceaccounts", "services",
            "services/status", "bindings", "events", "limitranges", "namespaces/status", "resourcequotas", "resourcequotas/status",
        ]),
        PolicyRule(verbs: read, apiGroups: [""], resources: ["namespaces"]),
        PolicyRule(verbs: read, apiGroups: ["apps"], resources: [
            "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
            "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status",
        ]),
        PolicyRule(verbs: read, apiGroups: ["batch"], resources: ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
        PolicyRule(verbs: read, apiGroups: ["policy"], resources: ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
        PolicyRule(verbs: read, apiGroups: ["events.k8s.io"], resources: ["events"]),
        PolicyRule(verbs: read, apiGroups: ["coordination.k8s.io"], resources: ["leases"]),
    ]

    /// Writing the ordinary namespaced kinds and reading Secrets, as upstream `edit`.
    static let editRules = [
        PolicyRule(verbs: write, apiGroups: [""], resources: [
            "configmaps", "events", "persistentvolumeclaims", "pods", "replicationcontrollers", "replicationcontrollers/scale",
            "secrets", "serviceaccounts", "services",
        ]),
        PolicyRule(verbs: ["create"], apiGroups: [""], resources: ["serviceaccounts/token"]),
        PolicyRule(verbs: read, apiGroups: [""], resources: ["secrets"]),
        PolicyRule(verbs: ["impersonate"], apiGroups: [""], resources: ["serviceaccounts"]),
        PolicyRule(verbs: write, apiGroups: ["apps"], resources: [
            "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale",
            "statefulsets", "statefulsets/scale",
        ]),
        PolicyRule(verbs: write, apiGroups: ["batch"], resources: ["cronjobs", "jobs"]),
        PolicyRule(verbs: write, apiGroups: ["policy"], resources: ["poddisruptionbudgets"]),
        PolicyRule(verbs: write, apiGroups: ["coordination.k8s.io"], resources: ["leases"]),
    ]

    /// Managing namespace RBAC, as upstream `admin`.
    static let adminRules = [
        PolicyRule(verbs: read + write, apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings", "roles"]),
        PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["localsubjectaccessreviews"]),
    ]

    /// Creates each default object that does not exist yet; never changes
    /// one that does (a user may have edited it).
    static func ensure(in state: ClusterState) throws {
        for (plural, objects) in [("clusterroles", clusterRoles), ("clusterrolebindings", clusterRoleBindings)] {
            guard let type = state.type(group: RBACAuthorizer.group, version: "v1", plural: plural) else { continue }
            for object in objects {
                do { _ = try state.create(type, namespace: nil, body: object) } catch let error as APIError where error.code == 409 {}
            }
        }
    }

    private static func metadata(_ name: String, labels: [String: String] = [:]) -> JSONValue {
        var all = labels
        all["kubernetes.io/bootstrapping"] = "rbac-defaults"
        return .object([
            "name": .string(name),
            "labels": .object(all.mapValues(JSONValue.string)),
            "annotations": .object(["rbac.authorization.kubernetes.io/autoupdate": .string("true")]),
        ])
    }

    private static func clusterRole(_ name: String, labels: [String: String] = [:], rules: [PolicyRule], aggregateFrom label: String? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "apiVersion": .string("rbac.authorization.k8s.io/v1"), "kind": .string("ClusterRole"),
            "metadata": metadata(name, labels: labels), "rules": .array(rules.map(\.json)),
        ]
        if let label {
            object["aggregationRule"] = .object(["clusterRoleSelectors": .array([.object(["matchLabels": .object([label: .string("true")])])])])
        }
        return .object(object)
    }

    private static func clusterRoleBinding(_ name: String, groups: [String]) -> JSONValue {
        .object([
            "apiVersion": .string("rbac.authorization.k8s.io/v1"), "kind": .string("ClusterRoleBinding"),
            "metadata": metadata(name),
            "roleRef": .object(["apiGroup": .string(RBACAuthorizer.group), "kind": .string("ClusterRole"), "name": .string(name)]),
            "subjects": .array(groups.map {
                .object(["apiGroup": .string(RBACAuthorizer.group), "kind": .string("Group"), "name": .string($0)])
            }),
        ])
    }
}
