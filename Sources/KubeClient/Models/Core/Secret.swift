import Foundation

/// `core/v1.Secret`. `data` holds base64 strings exactly as the API carries them.
public struct Secret: KubernetesResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// Base64-encoded values.
    public var data: [String: String]?
    /// Plain values; write-only, merged into `data` by the API server.
    public var stringData: [String: String]?
    /// For example `Opaque` or `kubernetes.io/service-account-token`.
    public var type: String?
    public var immutable: Bool?

    public init(
        metadata: ObjectMeta, data: [String: String]? = nil, stringData: [String: String]? = nil,
        type: String? = nil, immutable: Bool? = nil
    ) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.data = data
        self.stringData = stringData
        self.type = type
        self.immutable = immutable
    }

    /// The decoded bytes of `data[key]`, or nil when absent or not valid base64.
    public func decodedData(_ key: String) -> Data? {
        data?[key].flatMap { Data(base64Encoded: $0) }
    }
}
