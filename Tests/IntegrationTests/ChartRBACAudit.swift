import Foundation
import RingmasterTesting
import Testing

/// Who may do what, read from rendered manifests (the chart's or config/'s),
/// in the unit the RBAC audit compares.
enum ChartRBACAudit {
    /// Permissions split by who holds them: the operator (roles bound to the
    /// ServiceAccount its Deployment runs as, leader election included) and
    /// everyone else (the worker role).
    struct Grants: Equatable {
        var manager: Set<RBACPermission>
        var worker: Set<RBACPermission>
    }

    /// Sorts the rules of every Role/ClusterRole in `documents` by whether a
    /// binding in `documents` grants them to the ServiceAccount `operatorAccount`.
    static func grants(in documents: [[String: Any]], operatorAccount: String) throws -> Grants {
        var operatorRoles = Set<String>()
        for binding in documents where ["RoleBinding", "ClusterRoleBinding"].contains(binding.kind) {
            let subjects = binding["subjects"] as? [[String: Any]] ?? []
            if subjects.contains(where: { $0["kind"] as? String == "ServiceAccount" && $0["name"] as? String == operatorAccount }) {
                operatorRoles.insert("\(binding.value(at: "roleRef.kind") ?? "")/\(binding.value(at: "roleRef.name") ?? "")")
            }
        }
        var grants = Grants(manager: [], worker: [])
        for role in documents where ["Role", "ClusterRole"].contains(role.kind) {
            let permissions = try RBACPermission.expand(rules: role["rules"] as? [[String: Any]] ?? [])
            if operatorRoles.contains("\(role.kind)/\(role.name)") {
                grants.manager.formUnion(permissions)
            } else {
                grants.worker.formUnion(permissions)
            }
        }
        return grants
    }

    /// The operator Deployment's ServiceAccount and its first container.
    static func operatorContainer(of documents: [[String: Any]]) throws -> (account: String, container: [String: Any]) {
        let deployment = try #require(documents.first { $0.kind == "Deployment" }, "no Deployment")
        let account = try #require(deployment.value(at: "spec.template.spec.serviceAccountName") as? String)
        let container = try #require((deployment.value(at: "spec.template.spec.containers") as? [[String: Any]])?.first)
        return (account, container)
    }

    /// The chart's grants for `values` (helm `--set`/`-f` arguments).
    static func chartGrants(_ values: [String] = []) async throws -> Grants {
        let documents = try ChartRendering.documents(in: try await ChartRendering.template(values))
        return try grants(in: documents, operatorAccount: try operatorContainer(of: documents).account)
    }
}
