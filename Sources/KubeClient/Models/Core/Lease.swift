/// `coordination.k8s.io/v1.Lease`, the lock for leader election.
public struct Lease: KubernetesResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: LeaseSpec?

    public init(metadata: ObjectMeta, spec: LeaseSpec? = nil) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.spec = spec
    }
}

/// `coordination.k8s.io/v1.LeaseSpec`. Times are RFC 3339 with microseconds
/// (`MicroTime`).
public struct LeaseSpec: Codable, Sendable, Hashable {
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int32?
    public var acquireTime: String?
    public var renewTime: String?
    public var leaseTransitions: Int32?

    public init(
        holderIdentity: String? = nil, leaseDurationSeconds: Int32? = nil, acquireTime: String? = nil,
        renewTime: String? = nil, leaseTransitions: Int32? = nil
    ) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }
}
