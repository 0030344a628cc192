import Foundation
import KubeClient

/// `authorization.k8s.io/v1` SelfSubjectAccessReview (`kubectl auth can-i`)
/// and SelfSubjectRulesReview (`kubectl auth can-i --list`): the caller asks
/// what it may do, and the same authorizer that decides its requests
/// answers. Both are create-only and stored nowhere, as on a real server.
///
/// A request with no user (no authentication configured) is allowed
/// everything, as every such request is.
struct AccessReviewEndpoint {
    static let group = "authorization.k8s.io"
    static let version = "v1"
    static let accessReview = ResourceType(group: group, version: version, kind: "SelfSubjectAccessReview",
                                           plural: "selfsubjectaccessreviews", namespaced: false)
    static let rulesReview = ResourceType(group: group, version: version, kind: "SelfSubjectRulesReview",
                                          plural: "selfsubjectrulesreviews", namespaced: false)

    let authorizer: RBACAuthorizer

    /// The type a path under `/apis/authorization.k8s.io/v1/` names, if it is one of the reviews.
    static func type(plural: String) -> ResourceType? {
        [accessReview, rulesReview].first { $0.plural == plural }
    }

    /// Answers a review: `body` is the review the client sent (JSON). 201
    /// with the review and its status filled in.
    func review(_ type: ResourceType, body: JSONValue, user: UserInfo?) throws -> APIResponse {
        guard case .object = body else { throw APIError.badRequest("the body of the request is not a JSON object") }
        if let kind = body["kind"]?.stringValue, !kind.isEmpty, kind != type.kind {
            throw APIError.badRequest("the API version in the data (\(body["apiVersion"]?.stringValue ?? "")) does not match the expected API version (\(type.apiVersion)) or kind \(kind) is not \(type.kind)")
        }
        let spec = body["spec"] ?? .object([:])
        let status = type.plural == Self.accessReview.plural ? try accessStatus(spec, user: user) : rulesStatus(spec, user: user)
        var answer = body
        answer["apiVersion"] = .string(type.apiVersion)
        answer["kind"] = .string(type.kind)
        answer["metadata"] = .object([:])
        answer["spec"] = spec
        answer["status"] = status
        return .json(answer, code: 201)
    }

    private func accessStatus(_ spec: JSONValue, user: UserInfo?) throws -> JSONValue {
        let resource = spec["resourceAttributes"].flatMap { $0 == .null ? nil : $0 }
        let nonResource = spec["nonResourceAttributes"].flatMap { $0 == .null ? nil : $0 }
        guard (resource == nil) != (nonResource == nil) else {
            throw APIError.invalid(Self.accessReview, "", [.init(
                reason: "FieldValueInvalid",
                message: "Invalid value: \"\": exactly one of nonResourceAttributes or resourceAttributes must be specified",
                field: "spec.resourceAttributes")])
        }
        guard let user else {
            return .object(["allowed": .bool(true), "reason": .string("no authorization: the request carried no credentials")])
        }
        let attributes: RequestAttributes
        if let resource {
            func field(_ key: String) -> String { resource[key]?.stringValue ?? "" }
            attributes = .resource(user: user, verb: field("verb"), group: field("group"), version: field("version"), resource: field("resource"),
                                   subresource: field("subresource"), namespace: field("namespace"), name: field("name"))
        } else {
            attributes = .nonResource(user: user, verb: nonResource?["verb"]?.stringValue ?? "", path: nonResource?["path"]?.stringValue ?? "")
        }
        let decision = authorizer.authorize(attributes)
        var status: [String: JSONValue] = ["allowed": .bool(decision.allowed)]
        if !decision.reason.isEmpty { status["reason"] = .string(decision.reason) }
        return .object(status)
    }

    private func rulesStatus(_ spec: JSONValue, user: UserInfo?) -> JSONValue {
        let namespace = spec["namespace"]?.stringValue ?? ""
        let (rules, errors): ([PolicyRule], [String])
        if let user {
            (rules, errors) = authorizer.rules(for: user, namespace: namespace)
        } else {
            (rules, errors) = (RBACAuthorizer.fullAuthority, [])
        }
        var resourceRules: [JSONValue] = []
        var nonResourceRules: [JSONValue] = []
        for rule in rules {
            let strings = { (items: [String]) in JSONValue.array(items.map(JSONValue.string)) }
            if !rule.resources.isEmpty {
                var entry: [String: JSONValue] = ["verbs": strings(rule.verbs), "apiGroups": strings(rule.apiGroups), "resources": strings(rule.resources)]
                if !rule.resourceNames.isEmpty { entry["resourceNames"] = strings(rule.resourceNames) }
                resourceRules.append(.object(entry))
            }
            if !rule.nonResourceURLs.isEmpty {
                nonResourceRules.append(.object(["verbs": strings(rule.verbs), "nonResourceURLs": strings(rule.nonResourceURLs)]))
            }
        }
        var status: [String: JSONValue] = [
            "resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules), "incomplete": .bool(!errors.isEmpty),
        ]
        if !errors.isEmpty { status["evaluationError"] = .string(errors.joined(separator: ", ")) }
        return .object(status)
    }
}
