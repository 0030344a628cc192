import Foundation
import KubeClient

extension APIRouter {
    /// Throws 403 unless the request's user may make it. A request without a
    /// user (no credentials) is not authorized here: whether it may proceed
    /// is the authenticator's decision.
    func authorize(_ request: APIRequest) throws {
        guard let user = request.user else { return }
        let attributes = RequestAttributes(request, user: user)
        let decision = authorizer.authorize(attributes)
        if !decision.allowed { throw RBACAuthorizer.forbidden(attributes, reason: decision.reason) }
    }

    /// Answers a POST to `/apis/authorization.k8s.io/v1/<plural>` when
    /// `plural` is one of the self-subject reviews; nil for any other path.
    func accessReview(_ request: APIRequest, version: String, rest: [String]) throws -> APIResponse? {
        guard version == AccessReviewEndpoint.version, rest.count == 1, let type = AccessReviewEndpoint.type(plural: rest[0]) else { return nil }
        guard request.method == "POST" else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        return try AccessReviewEndpoint(authorizer: authorizer).review(type, body: try decodeBody(request, type), user: request.user)
    }

    /// Checks a create, update or patch of a Role, ClusterRole, RoleBinding
    /// or ClusterRoleBinding for privilege escalation before it is made
    /// (`RBACAuthorizer.checkEscalation`). Returns nil when the request
    /// should go on as usual; for a patch it makes the write itself, storing
    /// exactly the object it checked (a concurrent change makes it a 409
    /// Conflict rather than an unchecked write).
    func checkedRBACWrite(_ request: APIRequest, type: ResourceType, namespace: String?, name: String?) throws -> APIResponse? {
        guard let user = request.user, !user.isMaster, type.group == RBACAuthorizer.group, !type.isCustom else { return nil }
        switch (request.method, name) {
        case ("POST", nil):
            var object = try decodeBody(request, type)
            if type.namespaced, let namespace { object["metadata"]?["namespace"] = .string(namespace) }
            try authorizer.checkEscalation(type, object: object, old: nil, namespace: namespace, user: user)
            return nil
        case ("PUT", let name?):
            guard let old = try? state.get(type, namespace: namespace, name: name) else { return nil }
            try authorizer.checkEscalation(type, object: try decodeBody(request, type), old: old, namespace: namespace, user: user)
            return nil
        case ("PATCH", let name?):
            let old = try? state.get(type, namespace: namespace, name: name)
            let preview = try state.patch(type, namespace: namespace, name: name, contentType: request.contentType, body: request.body,
                                          subresource: nil, fieldManager: request.query["fieldManager"], force: request.query["force"] == "true",
                                          strictFields: request.query["fieldValidation"] == "Strict", dryRun: true)
            try authorizer.checkEscalation(type, object: preview, old: old, namespace: namespace, user: user)
            if let old {
                var expected = preview
                expected["metadata"]?["resourceVersion"] = old["metadata"]?["resourceVersion"]
                return written(try state.update(type, namespace: namespace, name: name, body: expected, subresource: nil))
            }
            return written(try state.create(type, namespace: namespace, body: preview))
        default:
            return nil
        }
    }
}
