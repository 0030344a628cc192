import Foundation
import KubeClient

/// A create-only resource that answers a question about the caller instead
/// of storing an object (`SelfSubjectReview`, and the access reviews): the
/// router answers a POST to it directly, and discovery lists it with the
/// single verb `create`, as kube-apiserver does.
struct ReviewResource: Sendable, Hashable {
    var group: String
    var version: String
    var kind: String
    var plural: String

    /// `kubectl auth whoami`.
    static let selfSubjectReview = ReviewResource(
        group: "authentication.k8s.io", version: "v1", kind: "SelfSubjectReview", plural: "selfsubjectreviews")

    /// `kubectl auth can-i` and `kubectl auth can-i --list` (answered by `AccessReviewEndpoint`).
    static let selfSubjectAccessReview = ReviewResource(AccessReviewEndpoint.accessReview)
    static let selfSubjectRulesReview = ReviewResource(AccessReviewEndpoint.rulesReview)

    /// Every review resource the server answers.
    static let all: [ReviewResource] = [selfSubjectReview, selfSubjectAccessReview, selfSubjectRulesReview]

    init(group: String, version: String, kind: String, plural: String) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
    }

    init(_ type: ResourceType) {
        self.init(group: type.group, version: type.version, kind: type.kind, plural: type.plural)
    }

    /// The review resource at `/apis/<group>/<version>/<plural>`, if any.
    static func at(_ segments: [String]) -> ReviewResource? {
        guard segments.count == 4, segments[0] == "apis" else { return nil }
        return all.first { $0.group == segments[1] && $0.version == segments[2] && $0.plural == segments[3] }
    }

    /// Its entry in an aggregated discovery document (`APIResourceDiscovery`).
    var aggregatedDiscoveryEntry: JSONValue {
        .object([
            "resource": .string(plural), "singularResource": .string(kind.lowercased()), "scope": .string("Cluster"),
            "responseKind": .object(["group": .string(group), "version": .string(version), "kind": .string(kind)]),
            "verbs": .array([.string("create")]),
        ])
    }

    /// Its entry in an `APIResourceList`.
    var discoveryEntry: JSONValue {
        .object([
            "name": .string(plural), "singularName": .string(kind.lowercased()), "namespaced": .bool(false),
            "kind": .string(kind), "verbs": .array([.string("create")]),
        ])
    }
}

extension APIRouter {
    /// Answers a request to a review resource: 405 for anything but POST,
    /// else the review with its status filled in (201, as kube-apiserver).
    /// The request body is not read: every field of these reviews that the
    /// server uses comes from the caller's identity.
    func review(_ resource: ReviewResource, _ request: APIRequest) throws -> APIResponse {
        guard request.method == "POST" else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        guard let user = request.user else { throw APIError.unauthorized }
        switch resource {
        case .selfSubjectReview:
            return .json(Self.selfSubjectReview(for: user), code: 201)
        default:
            guard let answer = try accessReview(request, version: resource.version, rest: [resource.plural]) else {
                throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
            }
            return answer
        }
    }

    /// The `SelfSubjectReview` answering "who am I" for `user`.
    static func selfSubjectReview(for user: UserInfo) -> JSONValue {
        var userInfo: [String: JSONValue] = [
            "username": .string(user.name), "groups": .array(user.groups.map(JSONValue.string)),
        ]
        if !user.uid.isEmpty { userInfo["uid"] = .string(user.uid) }
        if !user.extra.isEmpty {
            userInfo["extra"] = .object(user.extra.mapValues { .array($0.map(JSONValue.string)) })
        }
        return .object([
            "kind": .string(ReviewResource.selfSubjectReview.kind),
            "apiVersion": .string("\(ReviewResource.selfSubjectReview.group)/\(ReviewResource.selfSubjectReview.version)"),
            "metadata": .object(["creationTimestamp": .null]),
            "status": .object(["userInfo": .object(userInfo)]),
        ])
    }
}
