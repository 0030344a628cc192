import Foundation

/// The claims of a ServiceAccount token, as Kubernetes writes them: the
/// registered claims `iss`, `sub`, `aud`, `exp`, `iat`, `nbf`, `jti`, and the
/// private `kubernetes.io` claim naming the namespace, the ServiceAccount and
/// the Pod or Secret the token is bound to.
///
/// `aud` is written as a string when there is one audience and as an array
/// otherwise (as go-jose does); both forms are read.
public struct ServiceAccountTokenClaims: Sendable, Hashable, Codable {
    /// A named object with its uid (`kubernetes.io.serviceaccount`, `.pod`).
    public struct ObjectReference: Sendable, Hashable, Codable {
        public var name: String
        public var uid: String

        public init(name: String, uid: String) {
            self.name = name
            self.uid = uid
        }
    }

    /// The private `kubernetes.io` claim.
    public struct Kubernetes: Sendable, Hashable, Codable {
        public var namespace: String
        public var serviceaccount: ObjectReference
        public var pod: ObjectReference?
        public var secret: ObjectReference?

        public init(namespace: String, serviceaccount: ObjectReference, pod: ObjectReference? = nil, secret: ObjectReference? = nil) {
            self.namespace = namespace
            self.serviceaccount = serviceaccount
            self.pod = pod
            self.secret = secret
        }
    }

    public var issuer: String
    public var subject: String
    public var audiences: [String]
    /// Seconds since 1970 (NumericDate).
    public var expiresAt: Int64
    public var issuedAt: Int64
    public var notBefore: Int64
    public var id: String
    public var kubernetes: Kubernetes

    public init(issuer: String, subject: String, audiences: [String], expiresAt: Int64, issuedAt: Int64, notBefore: Int64,
                id: String, kubernetes: Kubernetes) {
        self.issuer = issuer
        self.subject = subject
        self.audiences = audiences
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.id = id
        self.kubernetes = kubernetes
    }

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audiences = "aud", expiresAt = "exp", issuedAt = "iat", notBefore = "nbf"
        case id = "jti", kubernetes = "kubernetes.io"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try container.decode(String.self, forKey: .issuer)
        subject = try container.decode(String.self, forKey: .subject)
        if let single = try? container.decode(String.self, forKey: .audiences) {
            audiences = [single]
        } else {
            audiences = try container.decode([String].self, forKey: .audiences)
        }
        expiresAt = try container.decode(Int64.self, forKey: .expiresAt)
        issuedAt = try container.decode(Int64.self, forKey: .issuedAt)
        notBefore = try container.decode(Int64.self, forKey: .notBefore)
        id = try container.decodeIfPresent(String.self, forKey: .id) ?? ""
        kubernetes = try container.decode(Kubernetes.self, forKey: .kubernetes)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(issuer, forKey: .issuer)
        try container.encode(subject, forKey: .subject)
        if audiences.count == 1 {
            try container.encode(audiences[0], forKey: .audiences)
        } else {
            try container.encode(audiences, forKey: .audiences)
        }
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(issuedAt, forKey: .issuedAt)
        try container.encode(notBefore, forKey: .notBefore)
        try container.encode(id, forKey: .id)
        try container.encode(kubernetes, forKey: .kubernetes)
    }
}
