import KubeClient

/// `spec.storage`: the volume holding checkpoints and the trained model.
///
/// Either the operator creates a claim (`size`, `storageClassName`) or the job
/// uses `existingClaim`; never both. A claim named in `existingClaim` is never
/// deleted by the operator, whatever `retainPolicy` says.
public struct StorageSpec: Codable, Sendable, Hashable {
    public var size: Quantity?
    public var storageClassName: String?
    public var existingClaim: String?
    public var retainPolicy: RetainPolicy

    public init(
        size: Quantity? = nil, storageClassName: String? = nil, existingClaim: String? = nil,
        retainPolicy: RetainPolicy = TrainingJobDefaults.retainPolicy
    ) {
        self.size = size
        self.storageClassName = storageClassName
        self.existingClaim = existingClaim
        self.retainPolicy = retainPolicy
    }

    /// The size of the claim the operator creates: `size`, or
    /// `TrainingJobDefaults.storageSize` when unset.
    public var effectiveSize: Quantity { size ?? TrainingJobDefaults.storageSize }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case size, storageClassName, existingClaim, retainPolicy
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        size = try c.decodeIfPresent(Quantity.self, forKey: .size)
        storageClassName = try c.decodeIfPresent(String.self, forKey: .storageClassName)
        existingClaim = try c.decodeIfPresent(String.self, forKey: .existingClaim)
        retainPolicy = try c.decodeIfPresent(RetainPolicy.self, forKey: .retainPolicy) ?? TrainingJobDefaults.retainPolicy
    }
}
