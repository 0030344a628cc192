import Foundation
import KubeClient
import Testing
@testable import TrainingJobAPI

/// The operator's and the workers' permissions are exactly the documented least set.
@Suite struct RBACTests {
    /// `group/resource` -> verbs, merged over every rule of a role file.
    static func grants(_ path: String) throws -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for document in try JSONValue.documents(yaml: Fixtures.read(path))
        where ["Role", "ClusterRole"].contains(document["kind"]?.stringValue ?? "") {
            for rule in document["rules"]?.arrayValue ?? [] {
                let verbs = Set((rule["verbs"]?.arrayValue ?? []).compactMap(\.stringValue))
                for group in rule["apiGroups"]?.arrayValue ?? [] {
                    for resource in rule["resources"]?.arrayValue ?? [] {
                        let key = "\(group.stringValue ?? "")/\(resource.stringValue ?? "")"
                        result[key, default: []].formUnion(verbs)
                    }
                }
            }
        }
        return result
    }

    @Test func operatorRoleIsLeast() throws {
        let created: Set<String> = ["list", "watch", "create"]
        #expect(try Self.grants("config/rbac/role.yaml") == [
            "ringmaster.dev/trainingjobs": ["list", "watch", "delete"],
            "ringmaster.dev/trainingjobs/status": ["get", "patch"],
            "ringmaster.dev/trainingjobs/finalizers": ["update"],
            "/pods": ["list", "watch", "create", "delete"],
            "/services": created,
            "/persistentvolumeclaims": created,
            "/secrets": created,
            "/serviceaccounts": created,
            "rbac.authorization.k8s.io/roles": created,
            "rbac.authorization.k8s.io/rolebindings": created,
            "/events": ["create"],
        ])
    }

    /// Workers get no standing role: the operator gives each job's workers a
    /// Role limited to that job's status (see TrainingJobController).
    @Test func leaderElectionRole() throws {
        #expect(try Self.grants("config/rbac/leader_election_role.yaml") == [
            "coordination.k8s.io/leases": ["get", "create", "update"],
        ])
        #expect(!FileManager.default.fileExists(
            atPath: Fixtures.file("config/rbac/worker_role.yaml").path))
    }

    @Test func managerRunsRestricted() throws {
        let deployment = try #require(try JSONValue.documents(yaml: Fixtures.read("config/manager/manager.yaml")).first)
        let container = try #require(deployment["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first)
        #expect(container["args"] == .array([
            .string("--leader-elect"), .string("--metrics-bind-address=:8080"), .string("--health-probe-bind-address=:8081"),
        ]))
        #expect(container["livenessProbe"]?["httpGet"]?["path"] == .string("/healthz"))
        #expect(container["readinessProbe"]?["httpGet"]?["path"] == .string("/readyz"))
        #expect(container["livenessProbe"]?["httpGet"]?["port"] == .integer(8081))
        let security = try #require(container["securityContext"])
        #expect(security["runAsNonRoot"] == .bool(true))
        #expect(security["readOnlyRootFilesystem"] == .bool(true))
        #expect(security["allowPrivilegeEscalation"] == .bool(false))
        #expect(security["capabilities"]?["drop"] == .array([.string("ALL")]))
        #expect(security["seccompProfile"]?["type"] == .string("RuntimeDefault"))
        #expect(container["resources"]?["limits"] != nil && container["resources"]?["requests"] != nil)
    }
}
