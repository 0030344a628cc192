/// An authorizer's answer: whether the request may proceed, and why (the
/// reason a SubjectAccessReview reports, and that a refusal appends to its
/// message when not empty).
struct AuthorizationDecision: Sendable, Hashable {
    var allowed: Bool
    var reason: String
}
