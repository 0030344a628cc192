import Foundation
import KubeClient
@testable import LocalCluster
import Testing

/// The RBAC evaluation itself, without a server: request attributes as the
/// API server derives them, rules × requests, and rule coverage.
@Suite struct RBACPolicyTests {
    typealias F = RBACFixtures

    /// One policy exercising every kind of rule and subject.
    static let policy = RBACPolicy(
        roles: [
            F.role("secret-reader", namespace: "ns1", [F.rule(["get"], [""], ["secrets"])]),
        ],
        clusterRoles: [
            F.role("pod-reader", [F.rule(["get", "list", "watch"], [""], ["pods", "pods/log"])]),
            F.role("status-writer", [F.rule(["patch"], ["*"], ["*/status"])]),
            F.role("named-configmap", [F.rule(["get", "list", "watch"], [""], ["configmaps"], names: ["a"])]),
            F.role("all-apps", [F.rule(["*"], ["apps"], ["*"])]),
            F.role("health", [F.urls(["get"], ["/healthz", "/logs/*"])]),
            F.role("aggregated", [], labels: [:]).merging(aggregation: "example.dev/aggregate-to-aggregated"),
            F.role("aggregated-part", [F.rule(["get"], ["example.dev"], ["widgets"])], labels: ["example.dev/aggregate-to-aggregated": "true"]),
        ],
        roleBindings: [
            F.binding("pods-alice", namespace: "ns1", roleKind: "ClusterRole", role: "pod-reader", [F.subject("User", "alice")]),
            F.binding("secrets-worker", namespace: "ns1", roleKind: "Role", role: "secret-reader", [F.subject("ServiceAccount", "worker")]),
        ],
        clusterRoleBindings: [
            F.binding("readers", roleKind: "ClusterRole", role: "pod-reader", [F.subject("Group", "readers")]),
            F.binding("status", roleKind: "ClusterRole", role: "status-writer", [F.subject("ServiceAccount", "worker", namespace: "ns2")]),
            F.binding("configmap-a", roleKind: "ClusterRole", role: "named-configmap", [F.subject("User", "bob")]),
            F.binding("apps", roleKind: "ClusterRole", role: "all-apps", [F.subject("User", "carol")]),
            F.binding("health", roleKind: "ClusterRole", role: "health", [F.subject("Group", UserInfo.authenticatedGroup)]),
            F.binding("dangling", roleKind: "ClusterRole", role: "missing", [F.subject("User", "dave")]),
            F.binding("aggregated", roleKind: "ClusterRole", role: "aggregated", [F.subject("User", "erin")]),
            F.binding("unqualified-account", roleKind: "ClusterRole", role: "pod-reader", [F.subject("ServiceAccount", "nowhere")]),
        ])

    struct Case: CustomStringConvertible, Sendable {
        var user: UserInfo
        var verb: String
        var group = ""
        var resource = ""
        var subresource = ""
        var namespace = ""
        var name = ""
        var path: String?
        var allowed: Bool

        var attributes: RequestAttributes {
            if let path { return .nonResource(user: user, verb: verb, path: path) }
            return .resource(user: user, verb: verb, group: group, resource: resource, subresource: subresource, namespace: namespace, name: name)
        }

        var description: String {
            "\(user.name) \(verb) \(path ?? "\(group)/\(resource)\(subresource.isEmpty ? "" : "/\(subresource)") ns=\(namespace) name=\(name)") -> \(allowed)"
        }
    }

    static let alice = RBACTestRouter.user("alice")
    static let reader = RBACTestRouter.user("rita", groups: ["readers"])
    static let worker1 = UserInfo.serviceAccount(namespace: "ns1", name: "worker")
    static let worker2 = UserInfo.serviceAccount(namespace: "ns2", name: "worker")
    static let bob = RBACTestRouter.user("bob")
    static let carol = RBACTestRouter.user("carol")
    static let erin = RBACTestRouter.user("erin")

    static let cases: [Case] = [
        // A ClusterRole through a RoleBinding: that namespace only.
        Case(user: alice, verb: "list", resource: "pods", namespace: "ns1", allowed: true),
        Case(user: alice, verb: "list", resource: "pods", namespace: "ns2", allowed: false),
        Case(user: alice, verb: "list", resource: "pods", allowed: false),
        Case(user: alice, verb: "delete", resource: "pods", namespace: "ns1", name: "p", allowed: false),
        // Subresources are named explicitly.
        Case(user: alice, verb: "get", resource: "pods", subresource: "log", namespace: "ns1", name: "p", allowed: true),
        Case(user: alice, verb: "get", resource: "pods", subresource: "exec", namespace: "ns1", name: "p", allowed: false),
        // A group through a ClusterRoleBinding: every namespace and cluster scope.
        Case(user: reader, verb: "watch", resource: "pods", namespace: "ns9", allowed: true),
        Case(user: reader, verb: "list", resource: "pods", allowed: true),
        Case(user: reader, verb: "list", group: "apps", resource: "pods", allowed: false),
        // A ServiceAccount subject without a namespace takes the RoleBinding's.
        Case(user: worker1, verb: "get", resource: "secrets", namespace: "ns1", name: "s", allowed: true),
        Case(user: worker1, verb: "get", resource: "secrets", namespace: "ns2", name: "s", allowed: false),
        Case(user: worker1, verb: "list", resource: "secrets", namespace: "ns1", allowed: false),
        Case(user: worker2, verb: "get", resource: "secrets", namespace: "ns1", name: "s", allowed: false),
        // `*/status` with a `*` group.
        Case(user: worker2, verb: "patch", group: "ringmaster.dev", resource: "trainingjobs", subresource: "status", namespace: "ns2", name: "j", allowed: true),
        Case(user: worker2, verb: "patch", group: "ringmaster.dev", resource: "trainingjobs", namespace: "ns2", name: "j", allowed: false),
        Case(user: worker2, verb: "patch", group: "ringmaster.dev", resource: "trainingjobs", subresource: "scale", namespace: "ns2", name: "j", allowed: false),
        Case(user: worker2, verb: "get", group: "ringmaster.dev", resource: "trainingjobs", subresource: "status", namespace: "ns2", name: "j", allowed: false),
        // A ClusterRoleBinding's ServiceAccount with no namespace names nobody.
        Case(user: UserInfo.serviceAccount(namespace: "default", name: "nowhere"), verb: "list", resource: "pods", allowed: false),
        // resourceNames: only requests that name the object.
        Case(user: bob, verb: "get", resource: "configmaps", namespace: "x", name: "a", allowed: true),
        Case(user: bob, verb: "get", resource: "configmaps", namespace: "x", name: "b", allowed: false),
        Case(user: bob, verb: "list", resource: "configmaps", namespace: "x", allowed: false),
        Case(user: bob, verb: "watch", resource: "configmaps", namespace: "x", name: "a", allowed: true),
        Case(user: bob, verb: "create", resource: "configmaps", namespace: "x", allowed: false),
        // `*` verbs and resources within one group.
        Case(user: carol, verb: "deletecollection", group: "apps", resource: "deployments", namespace: "x", allowed: true),
        Case(user: carol, verb: "update", group: "apps", resource: "statefulsets", subresource: "status", namespace: "x", name: "s", allowed: true),
        Case(user: carol, verb: "create", resource: "pods", namespace: "x", allowed: false),
        // nonResourceURLs, exact and with a trailing `*`.
        Case(user: alice, verb: "get", path: "/healthz", allowed: true),
        Case(user: alice, verb: "get", path: "/logs/kube.log", allowed: true),
        Case(user: alice, verb: "get", path: "/logsx", allowed: false),
        Case(user: alice, verb: "post", path: "/healthz", allowed: false),
        Case(user: alice, verb: "get", path: "/metrics", allowed: false),
        Case(user: UserInfo(name: "anonymous", groups: []), verb: "get", path: "/healthz", allowed: false),
        // A missing role grants nothing.
        Case(user: RBACTestRouter.user("dave"), verb: "get", resource: "pods", namespace: "x", name: "p", allowed: false),
        // Aggregation: the aggregated role holds the rules of the roles its selector matches.
        Case(user: erin, verb: "get", group: "example.dev", resource: "widgets", namespace: "x", name: "w", allowed: true),
        Case(user: erin, verb: "list", group: "example.dev", resource: "widgets", namespace: "x", allowed: false),
    ]

    @Test(arguments: cases)
    func decides(_ testCase: Case) {
        let decision = Self.policy.decide(testCase.attributes)
        #expect(decision.allowed == testCase.allowed)
        if decision.allowed { #expect(decision.reason.hasPrefix("RBAC: allowed by ")) }
    }

    @Test func allowedReasonNamesTheBindingRoleAndSubject() {
        let attributes = RequestAttributes.resource(user: Self.worker1, verb: "get", group: "", resource: "secrets", namespace: "ns1", name: "s")
        #expect(Self.policy.decide(attributes).reason
            == #"RBAC: allowed by RoleBinding "secrets-worker/ns1" of Role "secret-reader" to ServiceAccount "worker/ns1""#)
        let group = RequestAttributes.resource(user: Self.reader, verb: "list", group: "", resource: "pods")
        #expect(Self.policy.decide(group).reason == #"RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole "pod-reader" to Group "readers""#)
    }

    @Test func missingRoleIsTheRefusalReason() {
        let attributes = RequestAttributes.resource(user: RBACTestRouter.user("dave"), verb: "get", group: "", resource: "pods", namespace: "x", name: "p")
        #expect(Self.policy.decide(attributes) == AuthorizationDecision(
            allowed: false, reason: #"RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found"#))
        #expect(Self.policy.decide(.resource(user: Self.alice, verb: "get", group: "", resource: "secrets", namespace: "ns1")).reason == "")
    }

    @Test func changesApplyOneObjectAtATime() {
        var policy = RBACPolicy()
        let list = RequestAttributes.resource(user: Self.alice, verb: "list", group: "example.dev", resource: "widgets", namespace: "ns1")
        let binding = F.binding("alice-view", namespace: "ns1", roleKind: "ClusterRole", role: "view", [F.subject("User", "alice")])
        policy.apply(plural: "rolebindings", object: binding, deleted: false)
        #expect(policy.decide(list).reason == #"RBAC: clusterrole.rbac.authorization.k8s.io "view" not found"#)
        policy.apply(plural: "clusterroles", object: F.role("view", []).merging(aggregation: "example.dev/aggregate-to-view"), deleted: false)
        #expect(!policy.decide(list).allowed)
        #expect(policy.decide(list).reason == "")
        // A role labelled for aggregation extends the aggregated one; relabelling it withdraws that.
        let widgets = F.role("widgets", [F.rule(["list"], ["example.dev"], ["widgets"])], labels: ["example.dev/aggregate-to-view": "true"])
        policy.apply(plural: "clusterroles", object: widgets, deleted: false)
        #expect(policy.decide(list).allowed)
        policy.apply(plural: "clusterroles", object: F.role("widgets", [F.rule(["list"], ["example.dev"], ["widgets"])]), deleted: false)
        #expect(!policy.decide(list).allowed)
        policy.apply(plural: "clusterroles", object: widgets, deleted: false)
        // Changing a binding's subjects re-indexes it; deleting it removes it.
        policy.apply(plural: "rolebindings", object: F.binding("alice-view", namespace: "ns1", roleKind: "ClusterRole", role: "view",
                                                               [F.subject("User", "bob")]), deleted: false)
        #expect(!policy.decide(list).allowed)
        #expect(policy.decide(.resource(user: Self.bob, verb: "list", group: "example.dev", resource: "widgets", namespace: "ns1")).allowed)
        policy.apply(plural: "rolebindings", object: binding, deleted: false)
        #expect(policy.decide(list).allowed)
        policy.apply(plural: "rolebindings", object: binding, deleted: true)
        #expect(!policy.decide(list).allowed)
        #expect(policy.rules(for: Self.alice, namespace: "ns1").rules.isEmpty)
    }

    // MARK: Request attributes

    struct Derivation: CustomStringConvertible, Sendable {
        var method: String
        var uri: String
        var verb: String
        var group = ""
        var resource = ""
        var subresource = ""
        var namespace = ""
        var name = ""
        var path: String?
        var description: String { "\(method) \(uri)" }
    }

    static let derivations: [Derivation] = [
        Derivation(method: "GET", uri: "/api/v1/namespaces/default/pods", verb: "list", resource: "pods", namespace: "default"),
        Derivation(method: "GET", uri: "/api/v1/namespaces/default/pods?watch=true", verb: "watch", resource: "pods", namespace: "default"),
        Derivation(method: "GET", uri: "/api/v1/watch/namespaces/default/pods", verb: "watch", resource: "pods", namespace: "default"),
        Derivation(method: "GET", uri: "/api/v1/namespaces/default/pods/p", verb: "get", resource: "pods", namespace: "default", name: "p"),
        Derivation(method: "GET", uri: "/api/v1/namespaces/default/pods/p/log?follow=true", verb: "get", resource: "pods", subresource: "log",
                   namespace: "default", name: "p"),
        Derivation(method: "POST", uri: "/api/v1/namespaces/default/pods", verb: "create", resource: "pods", namespace: "default"),
        Derivation(method: "POST", uri: "/api/v1/namespaces/default/pods/p/binding", verb: "create", resource: "pods", subresource: "binding",
                   namespace: "default", name: "p"),
        Derivation(method: "DELETE", uri: "/api/v1/namespaces/default/pods", verb: "deletecollection", resource: "pods", namespace: "default"),
        Derivation(method: "DELETE", uri: "/api/v1/namespaces/default/pods/p", verb: "delete", resource: "pods", namespace: "default", name: "p"),
        Derivation(method: "PUT", uri: "/api/v1/namespaces/default/pods/p", verb: "update", resource: "pods", namespace: "default", name: "p"),
        Derivation(method: "PATCH", uri: "/apis/ringmaster.dev/v1alpha1/namespaces/ns/trainingjobs/j/status", verb: "patch",
                   group: "ringmaster.dev", resource: "trainingjobs", subresource: "status", namespace: "ns", name: "j"),
        Derivation(method: "GET", uri: "/api/v1/namespaces", verb: "list", resource: "namespaces"),
        Derivation(method: "GET", uri: "/api/v1/namespaces/team", verb: "get", resource: "namespaces", namespace: "team", name: "team"),
        Derivation(method: "PUT", uri: "/api/v1/namespaces/team/status", verb: "update", resource: "namespaces", subresource: "status",
                   namespace: "team", name: "team"),
        Derivation(method: "GET", uri: "/api/v1/nodes", verb: "list", resource: "nodes"),
        Derivation(method: "GET", uri: "/apis/apps/v1/deployments", verb: "list", group: "apps", resource: "deployments"),
        Derivation(method: "GET", uri: "/api/v1/namespaces/x/configmaps?fieldSelector=metadata.name%3Da", verb: "list", resource: "configmaps",
                   namespace: "x", name: "a"),
        Derivation(method: "GET", uri: "/api/v1/namespaces/x/configmaps?watch=1&fieldSelector=metadata.name%3D%3Da,data.x%3Dy", verb: "watch",
                   resource: "configmaps", namespace: "x", name: "a"),
        Derivation(method: "POST", uri: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", verb: "create",
                   group: "authorization.k8s.io", resource: "selfsubjectaccessreviews"),
        Derivation(method: "GET", uri: "/version?timeout=32s", verb: "get", path: "/version"),
        Derivation(method: "GET", uri: "/api", verb: "get", path: "/api"),
        Derivation(method: "GET", uri: "/api/v1", verb: "get", path: "/api/v1"),
        Derivation(method: "GET", uri: "/apis/apps/v1", verb: "get", path: "/apis/apps/v1"),
        Derivation(method: "GET", uri: "/openapi/v3/apis/apps/v1", verb: "get", path: "/openapi/v3/apis/apps/v1"),
        Derivation(method: "POST", uri: "/healthz", verb: "post", path: "/healthz"),
    ]

    @Test(arguments: derivations)
    func derivesAttributes(_ expected: Derivation) {
        let request = APIRequest(method: expected.method, uri: expected.uri, accept: "", contentType: "", body: Data())
        let attributes = RequestAttributes(request, user: Self.alice)
        #expect(attributes.verb == expected.verb)
        if let path = expected.path {
            #expect(!attributes.isResourceRequest)
            #expect(attributes.path == path)
        } else {
            #expect(attributes.isResourceRequest)
            #expect(attributes.apiGroup == expected.group)
            #expect(attributes.resource == expected.resource)
            #expect(attributes.subresource == expected.subresource)
            #expect(attributes.namespace == expected.namespace)
            #expect(attributes.name == expected.name)
        }
    }

    // MARK: Coverage (escalation prevention)

    @Test func coverageHonoursWildcardsSubresourcesNamesAndURLs() {
        let held = [
            PolicyRule(verbs: ["get", "list"], apiGroups: [""], resources: ["pods", "*/status"]),
            PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["a", "b"]),
            PolicyRule(verbs: ["*"], apiGroups: ["apps"], resources: ["*"]),
            PolicyRule(verbs: ["get"], nonResourceURLs: ["/logs/*"]),
        ]
        func missing(_ wanted: PolicyRule) -> [String] { PolicyRule.uncovered([wanted], by: held).map(\.compactDescription) }
        #expect(missing(PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods", "pods/status", "services/status"])).isEmpty)
        #expect(missing(PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods/log"])) == [#"{APIGroups:[""], Resources:["pods/log"], Verbs:["get"]}"#])
        #expect(missing(PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["a"])).isEmpty)
        #expect(missing(PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["configmaps"]))
            == [#"{APIGroups:[""], Resources:["configmaps"], Verbs:["get"]}"#])
        #expect(missing(PolicyRule(verbs: ["delete", "patch"], apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["d"])).isEmpty)
        #expect(missing(PolicyRule(verbs: ["get"], apiGroups: ["*"], resources: ["deployments"])).count == 1)
        #expect(missing(PolicyRule(verbs: ["get"], nonResourceURLs: ["/logs/a", "/metrics"])) == [#"{NonResourceURLs:["/metrics"], Verbs:["get"]}"#])
        let compact = PolicyRule.compacted(PolicyRule.uncovered([PolicyRule(verbs: ["get", "watch", "delete"], apiGroups: [""], resources: ["secrets"])],
                                                                by: held))
        #expect(compact.map(\.compactDescription) == [#"{APIGroups:[""], Resources:["secrets"], Verbs:["get" "watch" "delete"]}"#])
    }
}

extension JSONValue {
    /// A ClusterRole fixture with an aggregationRule selecting `label: "true"`.
    func merging(aggregation label: String) -> JSONValue {
        var copy = self
        copy["aggregationRule"] = .object(["clusterRoleSelectors": .array([.object(["matchLabels": .object([label: .string("true")])])])])
        return copy
    }
}
