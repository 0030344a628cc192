import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Signs and verifies ServiceAccount tokens: ES256 JWTs with the claims
/// Kubernetes writes (see `ServiceAccountTokenClaims`), signed by one P-256
/// key that the API server creates on its first start and keeps in
/// `<dataDir>/pki/sa.key` (PEM, mode 0600, in a 0700 directory).
///
/// The JWS compact serialisation is written here over swift-crypto rather
/// than with a JWT package: it is a few lines for one fixed algorithm, and
/// it adds no dependency to the API server.
///
/// Immutable once made; safe to use from any thread.
public struct ServiceAccountTokenIssuer: Sendable {
    /// The issuer (`iss`) of every token, as a default kube-apiserver names itself.
    public static let defaultIssuer = "https://kubernetes.default.svc.cluster.local"
    /// The audiences a token gets when its request names none; the API
    /// server accepts only tokens for one of these.
    public static let defaultAudiences = [defaultIssuer]
    /// How far `exp` and `nbf` may be off before a token is refused (as
    /// Kubernetes' JWT validation allows one minute of clock skew).
    public static let clockSkew: Int64 = 60

    /// A token and what it says.
    public struct IssuedToken: Sendable, Hashable {
        public var token: String
        public var claims: ServiceAccountTokenClaims
        public var expiration: Date { Date(timeIntervalSince1970: TimeInterval(claims.expiresAt)) }
    }

    public let issuer: String
    /// The key ID (`kid`) in every token's header: unpadded base64url of the
    /// SHA-256 of the public key's DER (SubjectPublicKeyInfo), as Kubernetes computes it.
    public let keyID: String
    private let key: P256.Signing.PrivateKey

    /// An issuer signing with `key`.
    public init(key: P256.Signing.PrivateKey, issuer: String = defaultIssuer) {
        self.key = key
        self.issuer = issuer
        self.keyID = JSONWebSignature.base64URL(Data(SHA256.hash(data: key.publicKey.derRepresentation)))
    }

    /// The public key that verifies this issuer's tokens.
    public var publicKey: P256.Signing.PublicKey { key.publicKey }

    /// The issuer whose key is in `keyFile`, creating the key (and the
    /// directory, 0700) when the file does not exist yet. An existing file
    /// is made 0600 if it was more open.
    public static func loadOrCreate(keyFile: URL, issuer: String = defaultIssuer) throws -> ServiceAccountTokenIssuer {
        let directory = keyFile.deletingLastPathComponent()
        try PrivateFiles.makeDirectory(directory)
        if let existing = try readKey(keyFile) { return ServiceAccountTokenIssuer(key: existing, issuer: issuer) }
        let key = P256.Signing.PrivateKey()
        let descriptor = open(keyFile.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            // Created by someone else since we looked: use theirs.
            if errno == EEXIST, let existing = try readKey(keyFile) { return ServiceAccountTokenIssuer(key: existing, issuer: issuer) }
            throw Self.fileError("cannot create \(keyFile.path)")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data(key.pemRepresentation.utf8))
        try handle.synchronize()
        try handle.close()
        return ServiceAccountTokenIssuer(key: key, issuer: issuer)
    }

    private static func readKey(_ file: URL) throws -> P256.Signing.PrivateKey? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        guard chmod(file.path, 0o600) == 0 else { throw fileError("cannot make \(file.path) private") }
        let text = try String(contentsOf: file, encoding: .utf8)
        do {
            return try P256.Signing.PrivateKey(pemRepresentation: text)
        } catch {
            throw ServiceAccountTokenError(.invalidKey, "\(file.path) does not hold a P-256 private key in PEM: \(error)")
        }
    }

    private static func fileError(_ what: String) -> ServiceAccountTokenError {
        ServiceAccountTokenError(.invalidKey, "\(what): \(String(cString: strerror(errno)))")
    }

    /// A token for the ServiceAccount `serviceAccount` in `namespace`,
    /// optionally bound to `pod` or `secret`, valid from `now` for `lifetime` seconds.
    public func issue(
        namespace: String, serviceAccount: ServiceAccountTokenClaims.ObjectReference,
        pod: ServiceAccountTokenClaims.ObjectReference? = nil, secret: ServiceAccountTokenClaims.ObjectReference? = nil,
        audiences: [String] = defaultAudiences,
        lifetime: Int64, now: Date = Date()
    ) throws -> IssuedToken {
        let issued = Int64(now.timeIntervalSince1970.rounded(.down))
        let claims = ServiceAccountTokenClaims(
            issuer: issuer, subject: UserInfo.serviceAccountUserName(namespace: namespace, name: serviceAccount.name),
            audiences: audiences, expiresAt: issued + lifetime, issuedAt: issued, notBefore: issued,
            id: UUID().uuidString.lowercased(),
            kubernetes: .init(namespace: namespace, serviceaccount: serviceAccount, pod: pod, secret: secret))
        let payload = try JSONEncoder().encode(claims)
        return IssuedToken(token: try JSONWebSignature.sign(payload: payload, key: key, keyID: keyID), claims: claims)
    }

    /// The claims of `token` when this issuer signed it, it names this
    /// issuer and it is valid at `now` (within `clockSkew`). Audiences and
    /// the objects the token names are the authenticator's to check.
    public func verify(_ token: String, now: Date = Date()) throws(ServiceAccountTokenError) -> ServiceAccountTokenClaims {
        let payload: Data
        do { payload = try JSONWebSignature.verifiedPayload(of: token, key: key.publicKey) } catch {
            throw ServiceAccountTokenError(.invalidSignature, "\(error)")
        }
        guard let claims = try? JSONDecoder().decode(ServiceAccountTokenClaims.self, from: payload) else {
            throw ServiceAccountTokenError(.malformed, "the claims are not those of a ServiceAccount token")
        }
        guard claims.issuer == issuer else { throw ServiceAccountTokenError(.wrongIssuer, "issued by \(claims.issuer)") }
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        guard seconds <= claims.expiresAt + Self.clockSkew else { throw ServiceAccountTokenError(.expired, "the token has expired") }
        guard seconds + Self.clockSkew >= claims.notBefore else {
            throw ServiceAccountTokenError(.notYetValid, "the token is not valid yet")
        }
        return claims
    }
}

/// Why a ServiceAccount token was refused or could not be made.
public struct ServiceAccountTokenError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case malformed, invalidSignature, wrongIssuer, expired, notYetValid, wrongAudience
        /// The ServiceAccount the token names is gone (or was recreated with another uid).
        case serviceAccountGone
        /// The Pod or Secret the token is bound to is gone (or was recreated with another uid).
        case boundObjectGone
        /// The signing key cannot be read or written.
        case invalidKey
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
