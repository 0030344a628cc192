/// The syntax rules shared by the CRD schema (as `pattern`s) and by
/// `TrainingJob.validate()`, so both accept exactly the same strings.
public enum ValidationPatterns {
    /// A Kubernetes resource quantity (`500m`, `2`, `1.5Gi`, `1e3`).
    public static let quantity =
        #"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"#
    /// A DNS-1123 subdomain (names of claims, storage classes, service accounts, priority classes).
    public static let dns1123Subdomain = #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#
    public static let dns1123SubdomainMaxLength = 253
    /// A DNS-1123 label (container names).
    public static let dns1123Label = #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"#
    public static let dns1123LabelMaxLength = 63
    /// A DNS-1035 label (the job's name: its Service and Pod host names derive from it).
    public static let dns1035Label = #"^[a-z]([-a-z0-9]*[a-z0-9])?$"#
    /// The value of a label (may be empty).
    public static let labelValue = #"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"#
    public static let labelValueMaxLength = 63
    /// The name part of a label or annotation key.
    public static let qualifiedName = #"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"#
    public static let qualifiedNameMaxLength = 63
    /// An environment variable name.
    public static let envVarName = #"^[-._a-zA-Z][-._a-zA-Z0-9]*$"#
    /// An absolute path.
    public static let absolutePath = #"^/"#
    /// The longest TrainingJob name: `<name>-worker-<index>` must stay a valid
    /// host name label (63 characters) for up to 1024 workers.
    public static let jobNameMaxLength = 63 - "-worker-".count - String(TrainingJobSchema.maxWorkers - 1).count
}
