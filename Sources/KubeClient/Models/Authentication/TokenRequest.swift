import Foundation

/// `authentication.k8s.io/v1.TokenRequest`: asks the API server for a token
/// of a ServiceAccount (`POST .../serviceaccounts/{name}/token`), as kubelets
/// and `kubectl create token` do.
public struct TokenRequest: Codable, Sendable, Hashable {
    /// What the caller asks for.
    public struct Spec: Codable, Sendable, Hashable {
        /// The audiences the token is for; empty means the API server's own.
        public var audiences: [String]?
        /// The requested lifetime (at least 600; the server's default is 3600).
        public var expirationSeconds: Int64?
        /// The object (a Pod or Secret) whose deletion invalidates the token.
        public var boundObjectRef: BoundObjectReference?

        public init(audiences: [String]? = nil, expirationSeconds: Int64? = nil, boundObjectRef: BoundObjectReference? = nil) {
            self.audiences = audiences
            self.expirationSeconds = expirationSeconds
            self.boundObjectRef = boundObjectRef
        }
    }

    /// `authentication.k8s.io/v1.BoundObjectReference`.
    public struct BoundObjectReference: Codable, Sendable, Hashable {
        public var kind: String?
        public var apiVersion: String?
        public var name: String?
        public var uid: String?

        public init(kind: String? = nil, apiVersion: String? = nil, name: String? = nil, uid: String? = nil) {
            self.kind = kind
            self.apiVersion = apiVersion
            self.name = name
            self.uid = uid
        }

        /// A reference to `pod`.
        public static func pod(name: String, uid: String) -> BoundObjectReference {
            BoundObjectReference(kind: "Pod", apiVersion: "v1", name: name, uid: uid)
        }
    }

    /// What the server answers.
    public struct Status: Codable, Sendable, Hashable {
        public var token: String
        /// RFC 3339.
        public var expirationTimestamp: String

        public init(token: String, expirationTimestamp: String) {
            self.token = token
            self.expirationTimestamp = expirationTimestamp
        }
    }

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta?
    public var spec: Spec
    public var status: Status?

    public init(spec: Spec, metadata: ObjectMeta? = nil) {
        self.apiVersion = "authentication.k8s.io/v1"
        self.kind = "TokenRequest"
        self.metadata = metadata
        self.spec = spec
        self.status = nil
    }
}

extension KubernetesClient {
    /// Where ServiceAccounts live.
    public static let serviceAccountsDescriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true)

    /// A token of the ServiceAccount `name` in `namespace` (the TokenRequest
    /// API); the answer carries it in `status`.
    public func requestServiceAccountToken(_ name: String, in namespace: String, _ request: TokenRequest) async throws -> TokenRequest {
        try await unstructured(Self.serviceAccountsDescriptor)
            .createSubresource("token", of: name, in: namespace, body: request, answer: TokenRequest.self)
    }
}
