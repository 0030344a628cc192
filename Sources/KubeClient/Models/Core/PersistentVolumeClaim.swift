/// `core/v1.PersistentVolumeClaim`.
public struct PersistentVolumeClaim: KubernetesResource, HasStatusSubresource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims",
        namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PersistentVolumeClaimSpec?
    public var status: PersistentVolumeClaimStatus?

    public init(
        metadata: ObjectMeta, spec: PersistentVolumeClaimSpec? = nil,
        status: PersistentVolumeClaimStatus? = nil
    ) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// `core/v1.PersistentVolumeClaimSpec`.
public struct PersistentVolumeClaimSpec: Codable, Sendable, Hashable {
    /// `ReadWriteOnce`, `ReadOnlyMany`, `ReadWriteMany`, `ReadWriteOncePod`.
    public var accessModes: [String]?
    /// `requests.storage` is the claimed size.
    public var resources: ResourceRequirements?
    public var storageClassName: String?
    public var volumeName: String?
    /// `Filesystem` or `Block`.
    public var volumeMode: String?

    public init(
        accessModes: [String]? = nil, resources: ResourceRequirements? = nil,
        storageClassName: String? = nil, volumeName: String? = nil, volumeMode: String? = nil
    ) {
        self.accessModes = accessModes
        self.resources = resources
        self.storageClassName = storageClassName
        self.volumeName = volumeName
        self.volumeMode = volumeMode
    }
}

/// `core/v1.PersistentVolumeClaimStatus`.
public struct PersistentVolumeClaimStatus: Codable, Sendable, Hashable {
    /// `Pending`, `Bound` or `Lost`.
    public var phase: String?
    public var accessModes: [String]?
    public var capacity: [String: Quantity]?

    public init(phase: String? = nil, accessModes: [String]? = nil, capacity: [String: Quantity]? = nil) {
        self.phase = phase
        self.accessModes = accessModes
        self.capacity = capacity
    }
}
