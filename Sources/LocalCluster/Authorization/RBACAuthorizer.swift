import Foundation
import KubeClient

/// Authorizes requests by the Role, ClusterRole, RoleBinding and
/// ClusterRoleBinding objects the cluster holds, as Kubernetes' RBAC
/// authorizer does; members of `system:masters` are allowed everything.
///
/// The objects are indexed by subject (`RBACPolicy`) and the index is kept
/// current by a watch on the four kinds, which the cluster state runs during
/// the commit that changes one: a request that follows a write to RBAC is
/// decided by the new policy, and a decision costs a few dictionary lookups.
/// Safe to call concurrently from any thread; never blocks on SQLite.
final class RBACAuthorizer: @unchecked Sendable {
    static let group = "rbac.authorization.k8s.io"
    static let kinds = ["roles", "clusterroles", "rolebindings", "clusterrolebindings"]

    private let state: ClusterState
    /// Guards `current` and `watching`. The watches take it inside the
    /// cluster state's lock, so it is never held while taking that lock.
    private let lock = NSLock()
    private var current = RBACPolicy()
    private var watching = true
    private var watchIDs: [UInt64] = []

    init(state: ClusterState) {
        self.state = state
        var ids: [UInt64] = []
        for plural in Self.kinds {
            guard let type = state.type(group: Self.group, version: "v1", plural: plural),
                  let id = try? state.startWatch(type, namespace: nil, options: ListRequestOptions(), deliver: { [weak self] event in
                      guard event.type == "ADDED" || event.type == "MODIFIED" || event.type == "DELETED", let self else { return }
                      self.lock.withLock { self.current.apply(plural: plural, object: event.object, deleted: event.type == "DELETED") }
                  })
            else {
                // Without a watch the index cannot be kept current: read the objects for every decision instead.
                lock.withLock { watching = false }
                continue
            }
            ids.append(id)
        }
        lock.withLock { watchIDs = ids }
    }

    deinit {
        for id in watchIDs { state.stopWatch(id) }
    }

    /// Runs `body` on the current policy, under the policy's lock.
    private func withPolicy<T>(_ body: (RBACPolicy) -> T) -> T {
        if let result = lock.withLock({ () -> T? in watching ? body(current) : nil }) { return result }
        let objects = state.lock.withLock {
            Self.kinds.map { plural in Array((state.objects["\(plural).\(Self.group)"] ?? [:]).values) }
        }
        return body(RBACPolicy(roles: objects[0], clusterRoles: objects[1], roleBindings: objects[2], clusterRoleBindings: objects[3]))
    }

    /// The rules a binding's `roleRef` names, or nil when the role does not exist.
    func rules(ofRoleRef kind: String, name: String, bindingNamespace: String?) -> [PolicyRule]? {
        withPolicy { $0.rules(ofRoleRef: kind, name: name, bindingNamespace: bindingNamespace) }
    }

    /// Decides a request. `system:masters` is allowed without a reason, as
    /// the real server's privileged-group authorizer answers.
    func authorize(_ request: RequestAttributes) -> AuthorizationDecision {
        if request.user.isMaster { return AuthorizationDecision(allowed: true, reason: "") }
        return withPolicy { $0.decide(request) }
    }

    /// Every rule `user` holds in `namespace` ("" for cluster-wide rules
    /// only), and the role references that could not be resolved.
    /// `system:masters` holds everything.
    func rules(for user: UserInfo, namespace: String) -> (rules: [PolicyRule], errors: [String]) {
        var result = withPolicy { $0.rules(for: user, namespace: namespace) }
        if user.isMaster { result.rules.insert(contentsOf: Self.fullAuthority, at: 0) }
        return result
    }

    /// Everything: `*` on `*.*` and on every non-resource URL.
    static let fullAuthority = [
        PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]),
        PolicyRule(verbs: ["*"], nonResourceURLs: ["*"]),
    ]

    /// The 403 for a refused request, worded as the real API server words it:
    /// `pods "p" is forbidden: User "alice" cannot get resource "pods/log"
    /// in API group "" in the namespace "default"`, `... at the cluster
    /// scope`, or `forbidden: User "x" cannot get path "/foo"`; `reason` (the
    /// authorizer's, if any) follows after a colon.
    static func forbidden(_ request: RequestAttributes, reason: String) -> APIError {
        let user = GoFormat.quoted(request.user.name)
        var detail: String
        if !request.isResourceRequest {
            detail = "User \(user) cannot \(request.verb) path \(GoFormat.quoted(request.path))"
        } else {
            detail = "User \(user) cannot \(request.verb) resource \(GoFormat.quoted(request.combinedResource)) in API group \(GoFormat.quoted(request.apiGroup))"
            detail += request.namespace.isEmpty ? " at the cluster scope" : " in the namespace \(GoFormat.quoted(request.namespace))"
        }
        if !reason.isEmpty { detail += ": \(reason)" }
        return forbidden(group: request.isResourceRequest ? request.apiGroup : "", resource: request.resource, name: request.name, detail)
    }

    /// A 403 `Forbidden` on `resource.group "name"` (or on nothing, for a
    /// non-resource request), as `apierrors.NewForbidden` shapes it.
    static func forbidden(group: String, resource: String, name: String, _ detail: String) -> APIError {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        let message: String
        if qualified.isEmpty {
            message = "forbidden: \(detail)"
        } else if name.isEmpty {
            message = "\(qualified) is forbidden: \(detail)"
        } else {
            message = "\(qualified) \(GoFormat.quoted(name)) is forbidden: \(detail)"
        }
        return APIError(code: 403, reason: "Forbidden", message: message, group: group.isEmpty ? nil : group,
                        kind: resource.isEmpty ? nil : resource, name: name.isEmpty ? nil : name)
    }
}
