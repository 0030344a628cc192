import Foundation

/// Authenticates ServiceAccount tokens that `ServiceAccountTokenIssuer`
/// signed, as kube-apiserver's service-account authenticator does: the
/// signature, the issuer, `exp`/`nbf`, that one of the token's audiences is
/// one the API server accepts, that the ServiceAccount still exists with the
/// uid the token names, and that a Pod or Secret the token is bound to does too.
///
/// The user is `system:serviceaccount:<ns>:<name>` (uid: the
/// ServiceAccount's uid) in `system:serviceaccounts`,
/// `system:serviceaccounts:<ns>` and `system:authenticated`; a bound token
/// adds the extras `authentication.kubernetes.io/pod-name` and `.../pod-uid`,
/// and every token `authentication.kubernetes.io/credential-id` (`JTI=<jti>`).
///
/// Objects are looked up through the given functions, which read the API
/// server's memory (never the network). Safe to call concurrently.
public struct ServiceAccountTokenAuthenticator: TokenAuthenticator {
    /// The uid of the object `name` in `namespace`, nil when there is none.
    public typealias UIDLookup = @Sendable (_ namespace: String, _ name: String) -> String?

    public let issuer: ServiceAccountTokenIssuer
    /// The audiences the API server identifies as; a token must name one.
    public let audiences: [String]
    private let serviceAccountUID: UIDLookup
    private let podUID: UIDLookup
    private let secretUID: UIDLookup
    private let now: @Sendable () -> Date

    public init(
        issuer: ServiceAccountTokenIssuer, audiences: [String] = ServiceAccountTokenIssuer.defaultAudiences,
        serviceAccountUID: @escaping UIDLookup, podUID: @escaping UIDLookup, secretUID: @escaping UIDLookup,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.issuer = issuer
        self.audiences = audiences
        self.serviceAccountUID = serviceAccountUID
        self.podUID = podUID
        self.secretUID = secretUID
        self.now = now
    }

    public func authenticate(token: String) -> UserInfo? {
        try? validate(token: token)
    }

    /// The user `token` authenticates, or why it does not.
    public func validate(token: String) throws(ServiceAccountTokenError) -> UserInfo {
        let claims = try issuer.verify(token, now: now())
        guard claims.audiences.contains(where: audiences.contains) else {
            throw ServiceAccountTokenError(.wrongAudience, "the token is for \(claims.audiences), not \(audiences)")
        }
        let namespace = claims.kubernetes.namespace
        let account = claims.kubernetes.serviceaccount
        guard claims.subject == UserInfo.serviceAccountUserName(namespace: namespace, name: account.name) else {
            throw ServiceAccountTokenError(.malformed, "the subject \(claims.subject) does not name the token's ServiceAccount")
        }
        guard let uid = serviceAccountUID(namespace, account.name), uid == account.uid else {
            throw ServiceAccountTokenError(.serviceAccountGone, "serviceaccount \(namespace)/\(account.name) (uid \(account.uid)) no longer exists")
        }
        var extra: [String: [String]] = [:]
        if !claims.id.isEmpty { extra[Self.credentialIDKey] = ["JTI=\(claims.id)"] }
        if let pod = claims.kubernetes.pod {
            guard let current = podUID(namespace, pod.name), current == pod.uid else {
                throw ServiceAccountTokenError(.boundObjectGone, "pod \(namespace)/\(pod.name) (uid \(pod.uid)) no longer exists")
            }
            extra[Self.podNameKey] = [pod.name]
            extra[Self.podUIDKey] = [pod.uid]
        }
        if let secret = claims.kubernetes.secret {
            guard let current = secretUID(namespace, secret.name), current == secret.uid else {
                throw ServiceAccountTokenError(.boundObjectGone, "secret \(namespace)/\(secret.name) (uid \(secret.uid)) no longer exists")
            }
        }
        return UserInfo.serviceAccount(namespace: namespace, name: account.name, uid: account.uid, extra: extra)
    }

    public static let podNameKey = "authentication.kubernetes.io/pod-name"
    public static let podUIDKey = "authentication.kubernetes.io/pod-uid"
    public static let credentialIDKey = "authentication.kubernetes.io/credential-id"
}
