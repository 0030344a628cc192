import Crypto
import Foundation
import KubeClient
import Testing
@testable import LocalCluster

/// Signing and verifying ServiceAccount tokens, without a server.
@Suite("ServiceAccount tokens: issuer and authenticator")
struct ServiceAccountTokenTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let account = ServiceAccountTokenClaims.ObjectReference(name: "trainer", uid: "sa-uid-1")
    static let pod = ServiceAccountTokenClaims.ObjectReference(name: "job-worker-0", uid: "pod-uid-1")

    /// An authenticator over a fixed world: which ServiceAccounts, Pods and Secrets exist with which uids.
    static func authenticator(
        _ issuer: ServiceAccountTokenIssuer, at now: Date = start,
        accounts: [String: String] = ["ml/trainer": "sa-uid-1"], pods: [String: String] = ["ml/job-worker-0": "pod-uid-1"],
        secrets: [String: String] = [:]
    ) -> ServiceAccountTokenAuthenticator {
        ServiceAccountTokenAuthenticator(
            issuer: issuer,
            serviceAccountUID: { accounts["\($0)/\($1)"] }, podUID: { pods["\($0)/\($1)"] },
            secretUID: { secrets["\($0)/\($1)"] }, now: { now })
    }

    static func rejection(_ authenticator: ServiceAccountTokenAuthenticator, _ token: String) -> ServiceAccountTokenError.Code? {
        do {
            _ = try authenticator.validate(token: token)
            return nil
        } catch {
            return error.code
        }
    }

    let issuer = ServiceAccountTokenIssuer(key: P256.Signing.PrivateKey())

    @Test func aTokenBoundToAPodAuthenticatesAsItsServiceAccountNamingThePod() throws {
        let issued = try issuer.issue(namespace: "ml", serviceAccount: Self.account, pod: Self.pod, lifetime: 3600, now: Self.start)
        let user = try Self.authenticator(issuer).validate(token: issued.token)
        #expect(user.name == "system:serviceaccount:ml:trainer")
        #expect(user.uid == "sa-uid-1")
        #expect(Set(user.groups) == ["system:serviceaccounts", "system:serviceaccounts:ml", "system:authenticated"])
        #expect(user.extra[ServiceAccountTokenAuthenticator.podNameKey] == ["job-worker-0"])
        #expect(user.extra[ServiceAccountTokenAuthenticator.podUIDKey] == ["pod-uid-1"])
        #expect(user.extra[ServiceAccountTokenAuthenticator.credentialIDKey] == ["JTI=\(issued.claims.id)"])
        #expect(Self.authenticator(issuer).authenticate(token: issued.token) == user)
        #expect(issued.expiration == Self.start.addingTimeInterval(3600))
    }

    @Test func theClaimsAreThoseKubernetesWrites() throws {
        let issued = try issuer.issue(namespace: "ml", serviceAccount: Self.account, pod: Self.pod, lifetime: 3600, now: Self.start)
        let parts = issued.token.split(separator: ".")
        try #require(parts.count == 3)
        let header = try JSONCoding.decode(try #require(JSONWebSignature.decodeBase64URL(parts[0])))
        #expect(header["alg"]?.stringValue == "ES256")
        #expect(header["kid"]?.stringValue == issuer.keyID)
        #expect(try #require(JSONWebSignature.decodeBase64URL(parts[2])).count == 64)  // r || s
        let claims = try JSONCoding.decode(try #require(JSONWebSignature.decodeBase64URL(parts[1])))
        #expect(claims["iss"]?.stringValue == "https://kubernetes.default.svc.cluster.local")
        #expect(claims["sub"]?.stringValue == "system:serviceaccount:ml:trainer")
        #expect(claims["aud"]?.stringValue == "https://kubernetes.default.svc.cluster.local")
        #expect(claims["iat"]?.intValue == 1_800_000_000)
        #expect(claims["nbf"]?.intValue == 1_800_000_000)
        #expect(claims["exp"]?.intValue == 1_800_003_600)
        #expect(claims["jti"]?.stringValue?.isEmpty == false)
        let kubernetes = try #require(claims["kubernetes.io"])
        #expect(kubernetes["namespace"]?.stringValue == "ml")
        #expect(kubernetes["serviceaccount"] == .object(["name": .string("trainer"), "uid": .string("sa-uid-1")]))
        #expect(kubernetes["pod"] == .object(["name": .string("job-worker-0"), "uid": .string("pod-uid-1")]))

        let twoAudiences = try issuer.issue(namespace: "ml", serviceAccount: Self.account, audiences: ["a", "b"], lifetime: 600, now: Self.start)
        let payload = try JSONCoding.decode(try #require(JSONWebSignature.decodeBase64URL(twoAudiences.token.split(separator: ".")[1])))
        #expect(payload["aud"] == .array([.string("a"), .string("b")]))
        #expect(payload["kubernetes.io"]?["pod"] == nil)
    }

    @Test func anExpiredTokenIsRefusedPastTheAllowedSkew() throws {
        let issued = try issuer.issue(namespace: "ml", serviceAccount: Self.account, lifetime: 600, now: Self.start)
        let skew = TimeInterval(ServiceAccountTokenIssuer.clockSkew)
        #expect(Self.rejection(Self.authenticator(issuer, at: Self.start.addingTimeInterval(600 + skew)), issued.token) == nil)
        #expect(Self.rejection(Self.authenticator(issuer, at: Self.start.addingTimeInterval(601 + skew)), issued.token) == .expired)
        #expect(Self.rejection(Self.authenticator(issuer, at: Self.start.addingTimeInterval(-1 - skew)), issued.token) == .notYetValid)
    }

    @Test func aTokenSignedByAnotherKeyOrAlteredIsRefused() throws {
        let stranger = ServiceAccountTokenIssuer(key: P256.Signing.PrivateKey())
        let forged = try stranger.issue(namespace: "ml", serviceAccount: Self.account, lifetime: 3600, now: Self.start)
        #expect(Self.rejection(Self.authenticator(issuer), forged.token) == .invalidSignature)

        // The claims of a real token, changed to name another ServiceAccount, with the original signature.
        let real = try issuer.issue(namespace: "ml", serviceAccount: Self.account, lifetime: 3600, now: Self.start)
        let parts = real.token.split(separator: ".").map(String.init)
        var claims = try JSONCoding.decode(try #require(JSONWebSignature.decodeBase64URL(Substring(parts[1]))))
        claims["sub"] = .string("system:serviceaccount:kube-system:admin")
        let altered = [parts[0], JSONWebSignature.base64URL(JSONCoding.encode(claims)), parts[2]].joined(separator: ".")
        #expect(Self.rejection(Self.authenticator(issuer), altered) == .invalidSignature)

        #expect(Self.rejection(Self.authenticator(issuer), "not-a-token") == .invalidSignature)
        #expect(Self.rejection(Self.authenticator(issuer), "") == .invalidSignature)
    }

    @Test func aTokenForAnotherAudienceIsRefused() throws {
        let vault = try issuer.issue(namespace: "ml", serviceAccount: Self.account, audiences: ["vault"], lifetime: 3600, now: Self.start)
        #expect(Self.rejection(Self.authenticator(issuer), vault.token) == .wrongAudience)
        let both = try issuer.issue(namespace: "ml", serviceAccount: Self.account,
                                    audiences: ["vault", ServiceAccountTokenIssuer.defaultIssuer], lifetime: 3600, now: Self.start)
        #expect(Self.rejection(Self.authenticator(issuer), both.token) == nil)
    }

    @Test func aDeletedOrRecreatedServiceAccountInvalidatesItsTokens() throws {
        let issued = try issuer.issue(namespace: "ml", serviceAccount: Self.account, lifetime: 3600, now: Self.start)
        #expect(Self.rejection(Self.authenticator(issuer, accounts: [:]), issued.token) == .serviceAccountGone)
        #expect(Self.rejection(Self.authenticator(issuer, accounts: ["ml/trainer": "sa-uid-2"]), issued.token) == .serviceAccountGone)
        #expect(Self.rejection(Self.authenticator(issuer, accounts: ["other/trainer": "sa-uid-1"]), issued.token) == .serviceAccountGone)
    }

    @Test func aDeletedOrRecreatedBoundObjectInvalidatesTheToken() throws {
        let issued = try issuer.issue(namespace: "ml", serviceAccount: Self.account, pod: Self.pod, lifetime: 3600, now: Self.start)
        #expect(Self.rejection(Self.authenticator(issuer, pods: [:]), issued.token) == .boundObjectGone)
        #expect(Self.rejection(Self.authenticator(issuer, pods: ["ml/job-worker-0": "pod-uid-2"]), issued.token) == .boundObjectGone)

        let secret = ServiceAccountTokenClaims.ObjectReference(name: "s", uid: "secret-uid")
        let toSecret = try issuer.issue(namespace: "ml", serviceAccount: Self.account, secret: secret, lifetime: 3600, now: Self.start)
        #expect(Self.rejection(Self.authenticator(issuer, secrets: ["ml/s": "secret-uid"]), toSecret.token) == nil)
        #expect(Self.rejection(Self.authenticator(issuer, secrets: [:]), toSecret.token) == .boundObjectGone)
    }

    @Test func theKeyIsCreatedPrivateOnceAndReused() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("sa-key-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: data) }
        let keyFile = Layout(dataDirectory: data).serviceAccountSigningKey
        let first = try ServiceAccountTokenIssuer.loadOrCreate(keyFile: keyFile)
        let second = try ServiceAccountTokenIssuer.loadOrCreate(keyFile: keyFile)
        #expect(first.keyID == second.keyID)
        let token = try first.issue(namespace: "ml", serviceAccount: Self.account, lifetime: 3600, now: Self.start)
        #expect(Self.rejection(Self.authenticator(second), token.token) == nil)
        let permissions = { (url: URL) in (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue }
        #expect(try permissions(keyFile) == 0o600)
        #expect(try permissions(keyFile.deletingLastPathComponent()) == 0o700)

        try Data("not a key".utf8).write(to: keyFile)
        #expect(throws: ServiceAccountTokenError.self) { try ServiceAccountTokenIssuer.loadOrCreate(keyFile: keyFile) }
    }

    @Test func aProjectedTokenIsRefreshedAtEightyPercentOfItsLifetime() {
        let issued = Self.start
        #expect(ServiceAccountTokenProjector.refreshTime(issuedAt: issued, expiration: issued.addingTimeInterval(3600))
            == issued.addingTimeInterval(2880))
        #expect(ServiceAccountTokenProjector.refreshTime(issuedAt: issued, expiration: issued.addingTimeInterval(600))
            == issued.addingTimeInterval(480))
    }
}
