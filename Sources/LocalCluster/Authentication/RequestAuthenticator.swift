import Foundation
import SwiftASN1
import X509

/// Establishes who sent a request, the way kube-apiserver's authenticator
/// chain does with anonymous access turned off (as k3s runs it):
///
/// 1. a client certificate, already verified against the cluster CA by the
///    TLS handshake: Common Name -> user name, each Organization -> a group;
/// 2. else an `Authorization: Bearer <token>` header, offered to each
///    `TokenAuthenticator` in order until one recognises it;
/// 3. else nobody: the request is refused with 401 `Unauthorized`, except
///    the health probes (`/healthz`, `/livez`, `/readyz` and below them).
///
/// A bearer token that no authenticator recognises is a 401 as well, never
/// anonymous access. Every authenticated user is in `system:authenticated`.
/// Safe to call concurrently; `authenticate` may take a token
/// authenticator's CPU time (signature checks), so call it off the event loop.
public struct RequestAuthenticator: Sendable {
    /// What `authenticate` decided.
    public enum Outcome: Sendable, Hashable {
        case authenticated(UserInfo)
        /// A probe path, served to anyone.
        case unauthenticatedProbe
        /// Refused: answer 401 with `APIError.unauthorized`.
        case refused
    }

    public var tokenAuthenticators: [any TokenAuthenticator]

    public init(tokenAuthenticators: [any TokenAuthenticator] = []) {
        self.tokenAuthenticators = tokenAuthenticators
    }

    /// Decides who sent a request to `path`.
    ///
    /// - Parameters:
    ///   - certificateUser: the user of the verified client certificate of the
    ///     connection (`user(fromCertificate:)`), nil when none was presented.
    ///   - authorization: the `Authorization` header, if any.
    public func authenticate(path: String, certificateUser: UserInfo?, authorization: String?) -> Outcome {
        if let certificateUser { return .authenticated(certificateUser) }
        if let authorization {
            guard let token = Self.bearerToken(authorization) else { return .refused }
            for authenticator in tokenAuthenticators {
                if let user = authenticator.authenticate(token: token) { return .authenticated(Self.withAuthenticatedGroup(user)) }
            }
            return .refused
        }
        return Self.isProbe(path) ? .unauthenticatedProbe : .refused
    }

    /// The user a verified client certificate names: CN -> name, each O ->
    /// a group, then `system:authenticated`. Nil when the certificate has no
    /// Common Name (kube-apiserver does not accept such a certificate either).
    public static func user(fromCertificate certificate: Certificate) -> UserInfo? {
        var name: String?
        var groups: [String] = []
        for relativeName in certificate.subject {
            for attribute in relativeName {
                switch attribute.type {
                case .RDNAttributeType.commonName: name = String(attribute.value)
                case .RDNAttributeType.organizationName: if let group = String(attribute.value) { groups.append(group) }
                default: break
                }
            }
        }
        guard let name, !name.isEmpty else { return nil }
        return withAuthenticatedGroup(UserInfo(name: name, groups: groups))
    }

    /// The user of a DER-encoded verified client certificate (see `user(fromCertificate:)`).
    public static func user(fromCertificateDER der: [UInt8]) -> UserInfo? {
        guard let certificate = try? Certificate(derEncoded: der) else { return nil }
        return user(fromCertificate: certificate)
    }

    /// The user of a PEM client certificate (see `user(fromCertificate:)`).
    public static func user(fromCertificatePEM pem: String) -> UserInfo? {
        guard let certificate = try? Certificate(pemEncoded: pem) else { return nil }
        return user(fromCertificate: certificate)
    }

    /// The token of a `Bearer` authorization header (scheme case-insensitive),
    /// nil for another scheme or an empty token.
    static func bearerToken(_ header: String) -> String? {
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// Whether `path` is a health probe anyone may call.
    static func isProbe(_ path: String) -> Bool {
        for probe in ["/healthz", "/livez", "/readyz"] where path == probe || path.hasPrefix(probe + "/") || path.hasPrefix(probe + "?") {
            return true
        }
        return false
    }

    private static func withAuthenticatedGroup(_ user: UserInfo) -> UserInfo {
        var user = user
        if !user.groups.contains(UserInfo.authenticatedGroup) { user.groups.append(UserInfo.authenticatedGroup) }
        return user
    }
}

extension APIError {
    /// The answer to a request without valid credentials, as kube-apiserver gives it.
    public static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")
}
