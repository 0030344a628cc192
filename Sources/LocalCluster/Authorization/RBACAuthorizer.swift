import Foundation
import KubeClient

/// Authorizes requests by the Role, ClusterRole, RoleBinding and
/// ClusterRoleBinding objects the cluster holds, as Kubernetes' RBAC
/// authorizer does; members of `system:masters` are allowed everything.
///
/// The objects are indexed by subject (`RBACPolicy`) once per change: a
/// watch on the four kinds marks the index stale during the commit that
/// changes one, so a request that follows a write to RBAC is decided by the
/// new policy, and every other request costs a few dictionary lookups.
/// Safe to call concurrently from any thread; never blocks on SQLite.
final class RBACAuthorizer: @unchecked Sendable {
    static let group = "rbac.authorization.k8s.io"
    static let kinds = ["roles", "clusterroles", "rolebindings", "clusterrolebindings"]

    private let state: ClusterState
    /// Bumped by the watches whenever an RBAC object changes. Guarded by
    /// `changeLock`, which is taken inside the cluster state's lock and so is
    /// never held while taking that lock.
    private let changeLock = NSLock()
    private var generation = 0
    private var watching = true
    private var watchIDs: [UInt64] = []
    private let cacheLock = NSLock()
    private var cached: (generation: Int, policy: RBACPolicy)?

    init(state: ClusterState) {
        self.state = state
        var ids: [UInt64] = []
        for plural in Self.kinds {
            guard let type = state.type(group: Self.group, version: "v1", plural: plural),
                  let id = try? state.startWatch(type, namespace: nil, options: ListRequestOptions(), deliver: { [weak self] event in
                      guard event.type != "BOOKMARK", let self else { return }
                      self.changeLock.withLock { self.generation += 1 }
                  })
            else {
                // Without a watch the index cannot know when it is stale: rebuild it for every decision.
                changeLock.withLock { watching = false }
                continue
            }
            ids.append(id)
        }
        changeLock.withLock { watchIDs = ids }
    }

    deinit {
        for id in watchIDs { state.stopWatch(id) }
    }

    /// The current policy, rebuilt from the cluster state if an RBAC object
    /// changed since it was last built.
    var policy: RBACPolicy {
        let (current, upToDate) = changeLock.withLock { (generation, watching) }
        if upToDate, let cached = cacheLock.withLock({ cached }), cached.generation == current { return cached.policy }
        let objects = state.lock.withLock {
            Self.kinds.map { plural in Array((state.objects["\(plural).\(Self.group)"] ?? [:]).values) }
        }
        let policy = RBACPolicy(roles: objects[0], clusterRoles: objects[1], roleBindings: objects[2], clusterRoleBindings: objects[3])
        cacheLock.withLock {
            if (cached?.generation ?? -1) <= current { cached = (current, policy) }
        }
        return policy
    }

    /// Decides a request. `system:masters` is allowed without a reason, as
    /// the real server's privileged-group authorizer answers.
    func authorize(_ request: RequestAttributes) -> AuthorizationDecision {
        if request.user.isMaster { return AuthorizationDecision(allowed: true, reason: "") }
        return policy.decide(request)
    }

    /// Every rule `user` holds in `namespace` ("" for cluster-wide rules
    /// only), and the role references that could not be resolved.
    /// `system:masters` holds everything.
    func rules(for user: UserInfo, namespace: String) -> (rules: [PolicyRule], errors: [String]) {
        var result = policy.rules(for: user, namespace: namespace)
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
