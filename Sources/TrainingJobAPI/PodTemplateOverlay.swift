import KubeClient

/// `spec.template`: what the operator adds to every worker Pod it builds.
///
/// Labels and annotations are merged under the operator's own (which win:
/// the `ringmaster.dev/` prefix is reserved); `env` is appended after the
/// worker contract's variables, whose names are reserved.
public struct PodTemplateOverlay: Codable, Sendable, Hashable {
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var nodeSelector: [String: String]?
    public var tolerations: [Toleration]?
    /// A `core/v1.Affinity`, passed through unchanged.
    public var affinity: JSONValue?
    public var priorityClassName: String?
    public var serviceAccountName: String?
    public var env: [EnvVar]?

    public init(
        labels: [String: String]? = nil, annotations: [String: String]? = nil,
        nodeSelector: [String: String]? = nil, tolerations: [Toleration]? = nil,
        affinity: JSONValue? = nil, priorityClassName: String? = nil,
        serviceAccountName: String? = nil, env: [EnvVar]? = nil
    ) {
        self.labels = labels
        self.annotations = annotations
        self.nodeSelector = nodeSelector
        self.tolerations = tolerations
        self.affinity = affinity
        self.priorityClassName = priorityClassName
        self.serviceAccountName = serviceAccountName
        self.env = env
    }
}
