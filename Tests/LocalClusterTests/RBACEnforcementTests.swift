import Foundation
import KubeClient
@testable import LocalCluster
import RingmasterTesting
import Testing
import TrainingJobAPI

/// RBAC enforced by the router on requests that carry a user: refusals in
/// the real server's shape, bindings taking effect on the next request,
/// escalation prevention, the self-subject reviews, the bootstrap policy,
/// and the operator's and a worker's least privilege.
@Suite struct RBACEnforcementTests {
    typealias F = RBACFixtures
    static let alice = RBACTestRouter.user("alice")
    static let admin = RBACTestRouter.admin
    static let configMap: JSONValue = .object(["apiVersion": .string("v1"), "kind": .string("ConfigMap"), "metadata": .object(["name": .string("c")])])

    @Test func requestsWithoutAUserBehaveAsBefore() throws {
        let cluster = try RBACTestRouter()
        #expect(cluster.send("POST", "/api/v1/namespaces/default/configmaps", Self.configMap, as: nil).code == 201)
        #expect(cluster.send("GET", "/api/v1/namespaces/default/secrets", as: nil).code == 200)
        #expect(cluster.send("GET", "/api/v1/namespaces/default/configmaps/c", as: nil).code == 200)
        #expect(cluster.send("DELETE", "/api/v1/namespaces/default/configmaps/c", as: nil).code == 200)
        #expect(cluster.send("GET", "/nope", as: nil).code == 404)
    }

    @Test func mastersAreAllowedEverything() throws {
        let cluster = try RBACTestRouter()
        let master = UserInfo(name: "root-ish", groups: [UserInfo.mastersGroup])
        #expect(cluster.send("POST", "/api/v1/namespaces/default/configmaps", Self.configMap, as: master).code == 201)
        #expect(cluster.send("GET", "/api/v1/nodes", as: master).code == 200)
        #expect(cluster.send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", F.role("anything", [F.rule(["*"], ["*"], ["*"])]), as: master).code == 201)
    }

    struct Refusal: CustomStringConvertible, Sendable {
        var method: String
        var uri: String
        var message: String
        var group: String?
        var kind: String?
        var name: String?
        var description: String { "\(method) \(uri)" }
    }

    static let refusals: [Refusal] = [
        Refusal(method: "GET", uri: "/api/v1/namespaces/default/pods",
                message: #"pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default""#, kind: "pods"),
        Refusal(method: "GET", uri: "/api/v1/nodes",
                message: #"nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope"#, kind: "nodes"),
        Refusal(method: "GET", uri: "/api/v1/namespaces/default/pods/p/log",
                message: #"pods "p" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "default""#,
                kind: "pods", name: "p"),
        Refusal(method: "DELETE", uri: "/apis/apps/v1/namespaces/team/deployments/web",
                message: #"deployments.apps "web" is forbidden: User "alice" cannot delete resource "deployments" in API group "apps" in the namespace "team""#,
                group: "apps", kind: "deployments", name: "web"),
        Refusal(method: "PATCH", uri: "/apis/ringmaster.dev/v1alpha1/namespaces/team/trainingjobs/j/status",
                message: #"trainingjobs.ringmaster.dev "j" is forbidden: User "alice" cannot patch resource "trainingjobs/status" in API group "ringmaster.dev" in the namespace "team""#,
                group: "ringmaster.dev", kind: "trainingjobs", name: "j"),
        Refusal(method: "GET", uri: "/api/v1/namespaces/team",
                message: #"namespaces "team" is forbidden: User "alice" cannot get resource "namespaces" in API group "" in the namespace "team""#,
                kind: "namespaces", name: "team"),
        Refusal(method: "GET", uri: "/foo", message: #"forbidden: User "alice" cannot get path "/foo""#),
        Refusal(method: "POST", uri: "/version", message: #"forbidden: User "alice" cannot post path "/version""#),
    ]

    @Test(arguments: refusals)
    func refusalsHaveTheRealServersShape(_ refusal: Refusal) throws {
        let cluster = try RBACTestRouter()
        let answer = cluster.send(refusal.method, refusal.uri, .object([:]), as: Self.alice, contentType: "application/merge-patch+json")
        #expect(answer.code == 403)
        #expect(answer.body["kind"]?.stringValue == "Status")
        #expect(answer.body["apiVersion"]?.stringValue == "v1")
        #expect(answer.body["status"]?.stringValue == "Failure")
        #expect(answer.body["reason"]?.stringValue == "Forbidden")
        #expect(answer.body["code"]?.intValue == 403)
        #expect(answer.message == refusal.message)
        #expect(answer.body["details"]?["group"]?.stringValue == refusal.group)
        #expect(answer.body["details"]?["kind"]?.stringValue == refusal.kind)
        #expect(answer.body["details"]?["name"]?.stringValue == refusal.name)
    }

    @Test func bootstrapPolicyAllowsDiscoveryHealthAndReviewsToEveryAuthenticatedUser() throws {
        let cluster = try RBACTestRouter()
        for path in ["/version", "/healthz", "/readyz", "/livez", "/api", "/api/v1", "/apis", "/apis/apps/v1", "/openapi/v2", "/openapi/v3"] {
            #expect(cluster.send("GET", path, as: Self.alice).code == 200, "\(path)")
        }
        let anonymous = UserInfo(name: "system:anonymous", groups: [BootstrapPolicy.unauthenticatedGroup])
        #expect(cluster.send("GET", "/version", as: anonymous).code == 200)
        #expect(cluster.send("GET", "/api", as: anonymous).code == 403)
        let review = cluster.send("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", Self.accessReview(verb: "list", resource: "pods"), as: Self.alice)
        #expect(review.code == 201)
        let names = cluster.send("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", as: Self.admin).body["items"]?.arrayValue?
            .compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
        #expect(Set(["cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user", "system:public-info-viewer"]).isSubset(of: Set(names)))
    }

    @Test func rbacNamesArePathSegments() throws {
        let cluster = try RBACTestRouter()
        let path = "/apis/rbac.authorization.k8s.io/v1/clusterroles"
        #expect(cluster.send("POST", path, F.role("example:reader", [F.rule(["get"], [""], ["pods"])]), as: Self.admin).code == 201)
        let refused = cluster.send("POST", path, F.role("50%", [F.rule(["get"], [""], ["pods"])]), as: Self.admin)
        #expect(refused.code == 422)
        #expect(refused.body["details"]?["causes"]?.arrayValue?.first?["field"]?.stringValue == "metadata.name")
        #expect(cluster.send("POST", path, F.role("..", []), as: Self.admin).code == 422)
    }

    @Test func bootstrapKeepsWhatAUserChanged() throws {
        let cluster = try RBACTestRouter()
        let patch: JSONValue = .object(["rules": .array([F.rule(["get"], [""], ["pods"])])])
        #expect(cluster.send("PATCH", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view", patch, as: Self.admin,
                             contentType: "application/merge-patch+json").code == 200)
        try BootstrapPolicy.ensure(in: cluster.state)
        let view = cluster.send("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view", as: Self.admin).body
        #expect(view["rules"]?.arrayValue?.count == 1)
    }

    @Test func aBindingTakesEffectOnTheNextRequestAndItsRemovalToo() throws {
        let cluster = try RBACTestRouter()
        let list = "/api/v1/namespaces/default/configmaps"
        #expect(cluster.send("GET", list, as: Self.alice).code == 403)
        try cluster.apply([
            F.role("cm-reader", namespace: "default", [F.rule(["list"], [""], ["configmaps"])]),
            F.binding("alice-cm", namespace: "default", roleKind: "Role", role: "cm-reader", [F.subject("User", "alice")]),
        ])
        #expect(cluster.send("GET", list, as: Self.alice).code == 200)
        #expect(cluster.send("GET", "/api/v1/namespaces/kube-system/configmaps", as: Self.alice).code == 403)
        // Narrowing the role narrows what the binding grants.
        let patch: JSONValue = .object(["rules": .array([F.rule(["get"], [""], ["configmaps"])])])
        #expect(cluster.send("PATCH", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/cm-reader", patch, as: Self.admin,
                             contentType: "application/merge-patch+json").code == 200)
        #expect(cluster.send("GET", list, as: Self.alice).code == 403)
        #expect(cluster.send("PATCH", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/cm-reader",
                             .object(["rules": .array([F.rule(["list"], [""], ["configmaps"])])]), as: Self.admin,
                             contentType: "application/merge-patch+json").code == 200)
        #expect(cluster.send("GET", list, as: Self.alice).code == 200)
        #expect(cluster.send("DELETE", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/alice-cm", as: Self.admin).code == 200)
        #expect(cluster.send("GET", list, as: Self.alice).code == 403)
    }

    // MARK: Escalation prevention

    static let rolesPath = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles"
    static let bindingsPath = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings"

    /// Alice may write roles and bindings in `default` and read configmaps there, nothing more.
    static func roleManager() throws -> RBACTestRouter {
        let cluster = try RBACTestRouter()
        try cluster.apply([
            F.role("role-manager", [
                F.rule(["create", "update", "patch", "get"], ["rbac.authorization.k8s.io"], ["roles", "rolebindings"]),
                F.rule(["get", "list"], [""], ["configmaps"]),
            ]),
            F.binding("alice-manages-roles", namespace: "default", roleKind: "ClusterRole", role: "role-manager", [F.subject("User", "alice")]),
        ])
        return cluster
    }

    @Test func creatingARoleThatGrantsMoreThanTheCallerHoldsIsRefused() throws {
        let cluster = try Self.roleManager()
        #expect(cluster.send("POST", Self.rolesPath, F.role("cm", namespace: "default", [F.rule(["get"], [""], ["configmaps"])]), as: Self.alice).code == 201)
        let refused = cluster.send("POST", Self.rolesPath, F.role("secrets", namespace: "default", [
            F.rule(["get", "list"], [""], ["secrets"]), F.rule(["get"], [""], ["configmaps"]),
        ]), as: Self.alice)
        #expect(refused.code == 403)
        #expect(refused.body["reason"]?.stringValue == "Forbidden")
        #expect(refused.message == """
            roles.rbac.authorization.k8s.io "secrets" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:
            {APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}
            """)
        #expect(refused.body["details"]?["kind"]?.stringValue == "roles")
        #expect(refused.body["details"]?["group"]?.stringValue == "rbac.authorization.k8s.io")
        #expect(cluster.send("GET", "\(Self.rolesPath)/secrets", as: Self.admin).code == 404)
        // Held in `default` only: not enough for the same rules in another namespace, nor cluster-wide.
        #expect(cluster.send("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles",
                             F.role("cm", namespace: "kube-system", [F.rule(["get"], [""], ["configmaps"])]), as: Self.alice).code == 403)

        // Updating (PUT) and patching into more than is held are refused alike, and change nothing.
        var bigger = F.role("cm", namespace: "default", [F.rule(["get"], [""], ["configmaps"]), F.rule(["delete"], [""], ["pods"])])
        bigger["metadata"]?["resourceVersion"] = cluster.send("GET", "\(Self.rolesPath)/cm", as: Self.admin).body["metadata"]?["resourceVersion"]
        let put = cluster.send("PUT", "\(Self.rolesPath)/cm", bigger, as: Self.alice)
        #expect(put.code == 403)
        #expect(put.message.hasSuffix("not currently held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}"))
        let jsonPatch: JSONValue = .array([.object(["op": .string("add"), "path": .string("/rules/-"), "value": F.rule(["get"], [""], ["secrets"])])])
        #expect(cluster.send("PATCH", "\(Self.rolesPath)/cm", jsonPatch, as: Self.alice, contentType: "application/json-patch+json").code == 403)
        #expect(cluster.send("GET", "\(Self.rolesPath)/cm", as: Self.admin).body["rules"]?.arrayValue?.count == 1)
        // A patch within what is held goes through.
        let narrower: JSONValue = .array([.object(["op": .string("add"), "path": .string("/rules/-"), "value": F.rule(["list"], [""], ["configmaps"])])])
        let patched = cluster.send("PATCH", "\(Self.rolesPath)/cm", narrower, as: Self.alice, contentType: "application/json-patch+json")
        #expect(patched.code == 200)
        #expect(patched.body["rules"]?.arrayValue?.count == 2)
    }

    @Test func escalateAllowsGrantingWhatIsNotHeld() throws {
        let cluster = try Self.roleManager()
        try cluster.apply([
            F.role("escalator", namespace: "default", [F.rule(["escalate"], ["rbac.authorization.k8s.io"], ["roles"])]),
            F.binding("alice-escalates", namespace: "default", roleKind: "Role", role: "escalator", [F.subject("User", "alice")]),
        ])
        #expect(cluster.send("POST", Self.rolesPath, F.role("secrets", namespace: "default", [F.rule(["get"], [""], ["secrets"])]), as: Self.alice).code == 201)
        // Nor does it let her write ClusterRoles.
        #expect(cluster.send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", F.role("secrets", [F.rule(["get"], [""], ["secrets"])]),
                             as: RBACTestRouter.user("alice")).code == 403)
    }

    @Test func bindingARoleNeedsItsPermissionsOrBind() throws {
        let cluster = try Self.roleManager()
        try cluster.apply([F.role("secret-reader", namespace: "default", [F.rule(["get"], [""], ["secrets"])])])
        let bob = F.subject("User", "bob")
        let refused = cluster.send("POST", Self.bindingsPath, F.binding("bob-edit", namespace: "default", roleKind: "ClusterRole", role: "edit", [bob]),
                                   as: Self.alice)
        #expect(refused.code == 403)
        #expect(refused.message.hasPrefix(#"rolebindings.rbac.authorization.k8s.io "bob-edit" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:"#))
        #expect(refused.message.contains(#"{APIGroups:[""], Resources:["secrets"], Verbs:["#))
        #expect(cluster.send("POST", Self.bindingsPath, F.binding("bob-secrets", namespace: "default", roleKind: "Role", role: "secret-reader", [bob]),
                             as: Self.alice).code == 403)
        // A role whose rules she holds may be bound without `bind`.
        try cluster.apply([F.role("cm-getter", namespace: "default", [F.rule(["get"], [""], ["configmaps"])])])
        #expect(cluster.send("POST", Self.bindingsPath, F.binding("bob-cm", namespace: "default", roleKind: "Role", role: "cm-getter", [bob]),
                             as: Self.alice).code == 201)
        // A missing role cannot be checked: 404.
        let missing = cluster.send("POST", Self.bindingsPath, F.binding("bob-x", namespace: "default", roleKind: "Role", role: "nope", [bob]), as: Self.alice)
        #expect(missing.code == 404)
        #expect(missing.message == #"roles.rbac.authorization.k8s.io "nope" not found"#)

        // `bind` on exactly the ClusterRole "edit" allows binding it, and nothing else.
        try cluster.apply([
            F.role("edit-binder", namespace: "default", [F.rule(["bind"], ["rbac.authorization.k8s.io"], ["clusterroles"], names: ["edit"])]),
            F.binding("alice-binds-edit", namespace: "default", roleKind: "Role", role: "edit-binder", [F.subject("User", "alice")]),
        ])
        #expect(cluster.send("POST", Self.bindingsPath, F.binding("bob-edit", namespace: "default", roleKind: "ClusterRole", role: "edit", [bob]),
                             as: Self.alice).code == 201)
        #expect(cluster.send("POST", Self.bindingsPath, F.binding("bob-admin", namespace: "default", roleKind: "ClusterRole", role: "admin", [bob]),
                             as: Self.alice).code == 403)
        #expect(cluster.send("POST", Self.bindingsPath, F.binding("bob-secrets", namespace: "default", roleKind: "Role", role: "secret-reader", [bob]),
                             as: Self.alice).code == 403)
    }

    @Test func aggregationRuleNeedsFullAuthority() throws {
        let cluster = try RBACTestRouter()
        try cluster.apply([
            F.role("clusterrole-writer", [F.rule(["create"], ["rbac.authorization.k8s.io"], ["clusterroles"]), F.rule(["get"], [""], ["pods"])]),
            F.binding("alice-writes", roleKind: "ClusterRole", role: "clusterrole-writer", [F.subject("User", "alice")]),
        ])
        let plain = F.role("pods", [F.rule(["get"], [""], ["pods"])])
        #expect(cluster.send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", plain, as: Self.alice).code == 201)
        let aggregated = F.role("gathers", []).merging(aggregation: "example.dev/x")
        let refused = cluster.send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", aggregated, as: Self.alice)
        #expect(refused.code == 403)
        #expect(refused.message == #"clusterroles.rbac.authorization.k8s.io "gathers" is forbidden: must have cluster-admin privileges to use the aggregationRule"#)
    }

    // MARK: Reviews

    static func accessReview(verb: String, resource: String, group: String = "", namespace: String = "default", name: String? = nil,
                             subresource: String? = nil) -> JSONValue {
        var attributes: [String: JSONValue] = ["verb": .string(verb), "resource": .string(resource), "group": .string(group),
                                               "namespace": .string(namespace)]
        if let name { attributes["name"] = .string(name) }
        if let subresource { attributes["subresource"] = .string(subresource) }
        return .object([
            "apiVersion": .string("authorization.k8s.io/v1"), "kind": .string("SelfSubjectAccessReview"),
            "metadata": .object(["creationTimestamp": .null]), "spec": .object(["resourceAttributes": .object(attributes)]),
            "status": .object(["allowed": .bool(false)]),
        ])
    }

    @Test func selfSubjectAccessReviewAnswersFromTheSameAuthorizer() throws {
        let cluster = try RBACTestRouter()
        try cluster.apply([
            F.role("pod-reader", namespace: "default", [F.rule(["get", "list"], [""], ["pods", "pods/log"])]),
            F.binding("alice-pods", namespace: "default", roleKind: "Role", role: "pod-reader", [F.subject("User", "alice")]),
        ])
        let path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
        let yes = cluster.send("POST", path, Self.accessReview(verb: "list", resource: "pods"), as: Self.alice)
        #expect(yes.code == 201)
        #expect(yes.body["kind"]?.stringValue == "SelfSubjectAccessReview")
        #expect(yes.body["status"]?["allowed"]?.boolValue == true)
        #expect(yes.body["status"]?["reason"]?.stringValue == #"RBAC: allowed by RoleBinding "alice-pods/default" of Role "pod-reader" to User "alice""#)
        #expect(yes.body["spec"]?["resourceAttributes"]?["verb"]?.stringValue == "list")
        let log = cluster.send("POST", path, Self.accessReview(verb: "get", resource: "pods", name: "p", subresource: "log"), as: Self.alice)
        #expect(log.body["status"]?["allowed"]?.boolValue == true)
        for review in [Self.accessReview(verb: "delete", resource: "pods"), Self.accessReview(verb: "list", resource: "pods", namespace: "other"),
                       Self.accessReview(verb: "list", resource: "deployments", group: "apps")] {
            let no = cluster.send("POST", path, review, as: Self.alice)
            #expect(no.code == 201)
            #expect(no.body["status"]?["allowed"]?.boolValue == false)
        }
        let nonResource: JSONValue = .object(["apiVersion": .string("authorization.k8s.io/v1"), "kind": .string("SelfSubjectAccessReview"),
                                              "spec": .object(["nonResourceAttributes": .object(["path": .string("/version"), "verb": .string("get")])])])
        #expect(cluster.send("POST", path, nonResource, as: Self.alice).body["status"]?["allowed"]?.boolValue == true)
        let master = cluster.send("POST", path, Self.accessReview(verb: "delete", resource: "nodes"), as: Self.admin)
        #expect(master.body["status"]?["allowed"]?.boolValue == true)
        let empty = cluster.send("POST", path, .object(["kind": .string("SelfSubjectAccessReview"), "spec": .object([:])]), as: Self.alice)
        #expect(empty.code == 422)
        #expect(empty.body["details"]?["causes"]?.arrayValue?.first?["field"]?.stringValue == "spec.resourceAttributes")
        #expect(cluster.send("GET", path, as: Self.alice).code == 403)
        #expect(cluster.send("GET", path, as: Self.admin).code == 405)
    }

    @Test func selfSubjectRulesReviewListsWhatTheCallerHoldsInANamespace() throws {
        let cluster = try RBACTestRouter()
        try cluster.apply([
            F.role("pod-reader", namespace: "default", [F.rule(["get", "list"], [""], ["pods"])]),
            F.binding("alice-pods", namespace: "default", roleKind: "Role", role: "pod-reader", [F.subject("User", "alice")]),
            F.binding("alice-dangling", namespace: "default", roleKind: "Role", role: "gone", [F.subject("User", "alice")]),
        ])
        let review: JSONValue = .object(["apiVersion": .string("authorization.k8s.io/v1"), "kind": .string("SelfSubjectRulesReview"),
                                         "spec": .object(["namespace": .string("default")])])
        let answer = cluster.send("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", review, as: Self.alice)
        #expect(answer.code == 201)
        let resourceRules = answer.body["status"]?["resourceRules"]?.arrayValue ?? []
        #expect(resourceRules.contains(.object(["verbs": .array([.string("get"), .string("list")]), "apiGroups": .array([.string("")]),
                                                "resources": .array([.string("pods")])])))
        #expect(resourceRules.contains { $0["resources"]?.arrayValue?.contains(.string("selfsubjectaccessreviews")) == true })
        #expect((answer.body["status"]?["nonResourceRules"]?.arrayValue ?? []).contains { $0["nonResourceURLs"]?.arrayValue?.contains(.string("/version")) == true })
        #expect(answer.body["status"]?["incomplete"]?.boolValue == true)
        #expect(answer.body["status"]?["evaluationError"]?.stringValue == #"role.rbac.authorization.k8s.io "gone" not found"#)
        let elsewhere = cluster.send("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                                     .object(["kind": .string("SelfSubjectRulesReview"), "spec": .object(["namespace": .string("kube-system")])]), as: Self.alice)
        #expect(!(elsewhere.body["status"]?["resourceRules"]?.arrayValue ?? []).contains { $0["resources"]?.arrayValue?.contains(.string("pods")) == true })
    }

    @Test func discoveryListsTheAuthorizationGroup() throws {
        let cluster = try RBACTestRouter()
        let groups = cluster.send("GET", "/apis", as: nil).body["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(groups.contains("authorization.k8s.io"))
        #expect(cluster.send("GET", "/apis/authorization.k8s.io", as: nil).body["preferredVersion"]?["groupVersion"]?.stringValue == "authorization.k8s.io/v1")
        let resources = cluster.send("GET", "/apis/authorization.k8s.io/v1", as: nil).body["resources"]?.arrayValue ?? []
        #expect(Set(resources.compactMap { $0["name"]?.stringValue }) == ["selfsubjectaccessreviews", "selfsubjectrulesreviews"])
        #expect(resources.allSatisfy { $0["verbs"] == .array([.string("create")]) })
    }

    // MARK: Least privilege of the operator and its workers

    static func documents(_ relativePath: String) throws -> [JSONValue] {
        let directory = ExternalTools.packageRoot.appendingPathComponent(relativePath)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" }.sorted()
        return try files.flatMap { try JSONValue.documents(yaml: String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)) }
    }

    @Test func theOperatorsServiceAccountCanDoWhatConfigRBACGrantsAndNothingMore() throws {
        let cluster = try RBACTestRouter()
        let manifests = try Self.documents("config/rbac")
        try cluster.apply([.object(["apiVersion": .string("v1"), "kind": .string("Namespace"), "metadata": .object(["name": .string("system")])]),
                           .object(["apiVersion": .string("v1"), "kind": .string("Namespace"), "metadata": .object(["name": .string("team")])])]
                          + manifests.filter { $0["kind"]?.stringValue != "ServiceAccount" })
        let crd = try JSONValue.documents(yaml: String(contentsOf: ExternalTools.packageRoot.appendingPathComponent("crds/trainingjobs.ringmaster.dev.yaml"),
                                                       encoding: .utf8))[0]
        #expect(cluster.send("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd, as: Self.admin).code == 201)
        let operatorUser = UserInfo.serviceAccount(namespace: "system", name: "ringmaster-operator")
        let jobs = "/apis/ringmaster.dev/v1alpha1/namespaces/team/trainingjobs"

        // Granted: list and watch jobs, create pods, create worker RBAC within what it holds, take its lease.
        #expect(cluster.send("GET", jobs, as: operatorUser).code == 200)
        #expect(cluster.send("GET", "\(jobs)?watch=true", as: operatorUser).code == 200)
        #expect(cluster.send("GET", "/api/v1/pods", as: operatorUser).code == 200)
        let pod: JSONValue = .object(["apiVersion": .string("v1"), "kind": .string("Pod"), "metadata": .object(["name": .string("w-0")]),
                                      "spec": .object(["containers": .array([.object(["name": .string("c"), "image": .string("ringmaster-worker")])])])])
        #expect(cluster.send("POST", "/api/v1/namespaces/team/pods", pod, as: operatorUser).code == 201)
        let workerRole = F.role("j-worker", namespace: "team", [F.rule(["get", "patch"], ["ringmaster.dev"], ["trainingjobs/status"], names: ["j"])])
        #expect(cluster.send("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles", workerRole, as: operatorUser).code == 201)
        let workerBinding = F.binding("j-worker", namespace: "team", roleKind: "Role", role: "j-worker", [F.subject("ServiceAccount", "j-worker")])
        #expect(cluster.send("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings", workerBinding, as: operatorUser).code == 201)
        let lease: JSONValue = .object(["apiVersion": .string("coordination.k8s.io/v1"), "kind": .string("Lease"),
                                        "metadata": .object(["name": .string("ringmaster")])])
        #expect(cluster.send("POST", "/apis/coordination.k8s.io/v1/namespaces/system/leases", lease, as: operatorUser).code == 201)

        // Not granted: reading Secrets, changing Services, jobs' specs, leases elsewhere, a Role beyond its own rights, binding cluster-admin.
        #expect(cluster.send("GET", "/api/v1/namespaces/team/secrets/s", as: operatorUser).code == 403)
        #expect(cluster.send("DELETE", "/api/v1/namespaces/team/services/s", as: operatorUser).code == 403)
        #expect(cluster.send("PATCH", "\(jobs)/j", .object([:]), as: operatorUser, contentType: "application/merge-patch+json").code == 403)
        #expect(cluster.send("POST", "/apis/coordination.k8s.io/v1/namespaces/team/leases", lease, as: operatorUser).code == 403)
        let greedy = F.role("greedy", namespace: "team", [F.rule(["get"], [""], ["secrets"])])
        #expect(cluster.send("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles", greedy, as: operatorUser).code == 403)
        let admin = F.binding("takeover", namespace: "team", roleKind: "ClusterRole", role: "cluster-admin", [F.subject("ServiceAccount", "j-worker")])
        #expect(cluster.send("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings", admin, as: operatorUser).code == 403)

        // The worker's own token: its job's status and nothing else.
        let sample = try JSONValue.documents(yaml: String(contentsOf: ExternalTools.packageRoot.appendingPathComponent(
            "config/samples/ringmaster_v1alpha1_trainingjob.yaml"), encoding: .utf8))[0]
        for name in ["j", "other"] {
            var job = sample
            job["metadata"] = .object(["name": .string(name)])
            #expect(cluster.send("POST", jobs, job, as: Self.admin).code == 201)
        }
        let worker = UserInfo.serviceAccount(namespace: "team", name: "j-worker")
        let status: JSONValue = .object(["status": .object(["phase": .string("Running")])])
        #expect(cluster.send("PATCH", "\(jobs)/j/status", status, as: worker, contentType: "application/merge-patch+json").code == 200)
        #expect(cluster.send("GET", "\(jobs)/j/status", as: worker).code == 200)
        #expect(cluster.send("PATCH", "\(jobs)/other/status", status, as: worker, contentType: "application/merge-patch+json").code == 403)
        #expect(cluster.send("PATCH", "\(jobs)/j", status, as: worker, contentType: "application/merge-patch+json").code == 403)
        #expect(cluster.send("GET", "/api/v1/namespaces/team/secrets", as: worker).code == 403)
        #expect(cluster.send("GET", jobs, as: worker).code == 403)
    }
}
