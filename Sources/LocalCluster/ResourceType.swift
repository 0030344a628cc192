import KubeClient

/// One kind of object the local API server serves: where it lives in the URL
/// space, what discovery says about it, and how it behaves.
public struct ResourceType: Sendable, Hashable {
    /// An `additionalPrinterColumns` entry of a CRD (or a built-in column).
    public struct PrinterColumn: Sendable, Hashable {
        public var name: String
        public var type: String
        public var jsonPath: String
        public var description: String
        public var priority: Int
        public var format: String

        public init(name: String, type: String, jsonPath: String, description: String = "", priority: Int = 0, format: String = "") {
            self.name = name
            self.type = type
            self.jsonPath = jsonPath
            self.description = description
            self.priority = priority
            self.format = format
        }
    }

    public var group: String
    public var version: String
    public var kind: String
    public var plural: String
    public var singular: String
    public var shortNames: [String]
    public var categories: [String]
    public var namespaced: Bool
    /// Whether the `/status` subresource exists (and so the main resource
    /// ignores status changes and generation counts spec changes only).
    public var hasStatus: Bool
    /// For custom resources: the CRD's `openAPIV3Schema` for this version.
    public var schema: JSONValue?
    /// Printer columns for server-side Table output (custom resources).
    public var printerColumns: [PrinterColumn]
    /// Whether this type comes from a CustomResourceDefinition.
    public var isCustom: Bool

    public init(
        group: String, version: String, kind: String, plural: String, singular: String? = nil,
        shortNames: [String] = [], categories: [String] = [], namespaced: Bool = true,
        hasStatus: Bool = false, schema: JSONValue? = nil, printerColumns: [PrinterColumn] = [], isCustom: Bool = false
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.singular = singular ?? kind.lowercased()
        self.shortNames = shortNames
        self.categories = categories
        self.namespaced = namespaced
        self.hasStatus = hasStatus
        self.schema = schema
        self.printerColumns = printerColumns
        self.isCustom = isCustom
    }

    /// `v1` for the core group, `group/version` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `.group` for error messages (`trainingjobs.ringmaster.dev "x" not found`).
    var groupSuffix: String { group.isEmpty ? "" : ".\(group)" }

    /// The storage identity: the same object is served under every version of a group.
    var storageName: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// The verbs discovery advertises (namespaces have no deletecollection, as in Kubernetes).
    var verbs: [String] {
        if isCustom == false && group.isEmpty && plural == "namespaces" {
            return ["create", "delete", "get", "list", "patch", "update", "watch"]
        }
        return ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }

    /// Whether strategic merge patch applies (built-in kinds only, as in Kubernetes).
    var supportsStrategicMerge: Bool { !isCustom }
}

extension ResourceType {
    /// The built-in kinds. Pods, PVCs and namespaces behave as in Kubernetes
    /// as far as the local node agent makes them; RBAC objects are enforced
    /// (`RBACAuthorizer`); Deployments, Jobs, CronJobs, quotas, disruption
    /// budgets and the rest are stored and served, not run.
    static let builtIn: [ResourceType] = [
        ResourceType(group: "", version: "v1", kind: "Namespace", plural: "namespaces", shortNames: ["ns"], namespaced: false, hasStatus: true),
        ResourceType(group: "", version: "v1", kind: "Pod", plural: "pods", shortNames: ["po"], categories: ["all"], hasStatus: true),
        ResourceType(group: "", version: "v1", kind: "Service", plural: "services", shortNames: ["svc"], categories: ["all"], hasStatus: true),
        ResourceType(group: "", version: "v1", kind: "Endpoints", plural: "endpoints", singular: "endpoints", shortNames: ["ep"]),
        ResourceType(group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", shortNames: ["pvc"], hasStatus: true),
        ResourceType(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", shortNames: ["cm"]),
        ResourceType(group: "", version: "v1", kind: "Secret", plural: "secrets"),
        ResourceType(group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", shortNames: ["sa"]),
        ResourceType(group: "", version: "v1", kind: "Event", plural: "events", shortNames: ["ev"]),
        ResourceType(group: "", version: "v1", kind: "Node", plural: "nodes", shortNames: ["no"], namespaced: false, hasStatus: true),
        ResourceType(group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", shortNames: ["ev"]),
        ResourceType(group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases"),
        ResourceType(group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions",
                     shortNames: ["crd", "crds"], namespaced: false, hasStatus: true),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles"),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings"),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false),
        ResourceType(group: "apps", version: "v1", kind: "Deployment", plural: "deployments", shortNames: ["deploy"], categories: ["all"], hasStatus: true),
        ResourceType(group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets", shortNames: ["sts"], categories: ["all"], hasStatus: true),
        ResourceType(group: "scheduling.k8s.io", version: "v1", kind: "PriorityClass", plural: "priorityclasses", shortNames: ["pc"], namespaced: false),
        ResourceType(group: "", version: "v1", kind: "ResourceQuota", plural: "resourcequotas", shortNames: ["quota"], hasStatus: true),
        ResourceType(group: "batch", version: "v1", kind: "Job", plural: "jobs", categories: ["all"], hasStatus: true),
        ResourceType(group: "batch", version: "v1", kind: "CronJob", plural: "cronjobs", shortNames: ["cj"], categories: ["all"], hasStatus: true),
        ResourceType(group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", shortNames: ["pdb"], hasStatus: true),
    ]
}
