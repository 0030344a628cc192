import KubeClient

/// A distributed data-parallel training run: `ringmaster.dev/v1alpha1`, kind
/// `TrainingJob` (plural `trainingjobs`, short name `tj`), namespaced.
///
/// The operator turns it into worker Pods, a headless Service and a
/// checkpoint claim, and keeps `status` true; workers report progress into
/// `status` through the API.
public struct TrainingJob: KubernetesResource, HasStatusSubresource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "ringmaster.dev", version: "v1alpha1", kind: "TrainingJob",
        plural: "trainingjobs", namespaced: true)
    public static let singular = "trainingjob"
    public static let shortNames = ["tj"]
    public static let categories = ["ringmaster"]
    /// The image `spec.image` defaults to: the Ringmaster worker runtime.
    public static let defaultWorkerImage = TrainingJobDefaults.image

    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: TrainingJobSpec
    public var status: TrainingJobStatus?

    public init(
        metadata: ObjectMeta, spec: TrainingJobSpec = TrainingJobSpec(), status: TrainingJobStatus? = nil
    ) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// Applies the CRD's defaults to an untyped TrainingJob object exactly as
    /// the API server's structural defaulting does (for servers, such as the
    /// local cluster, that store objects without a CRD-aware defaulter).
    /// Decoding into `TrainingJob` applies the same defaults to the typed value.
    public static func applyingSchemaDefaults(to object: JSONValue) -> JSONValue {
        TrainingJobSchema.root.applyingDefaults(to: object)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case apiVersion, kind, metadata, spec, status
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion) ?? Self.descriptor.apiVersion
        kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? Self.descriptor.kind
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decodeIfPresent(TrainingJobSpec.self, forKey: .spec) ?? TrainingJobSpec()
        status = try c.decodeIfPresent(TrainingJobStatus.self, forKey: .status)
    }
}
