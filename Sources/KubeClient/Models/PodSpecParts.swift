/// `core/v1.EnvVar`.
public struct EnvVar: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    /// `core/v1.EnvVarSource` (secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef).
    public var valueFrom: EnvVarSource?

    public init(name: String, value: String? = nil, valueFrom: EnvVarSource? = nil) {
        self.name = name
        self.value = value
        self.valueFrom = valueFrom
    }
}

/// `core/v1.EnvVarSource`.
public struct EnvVarSource: Codable, Sendable, Hashable {
    public var secretKeyRef: KeySelector?
    public var configMapKeyRef: KeySelector?
    public var fieldRef: ObjectFieldSelector?
    public var resourceFieldRef: JSONValue?

    public init(
        secretKeyRef: KeySelector? = nil, configMapKeyRef: KeySelector? = nil,
        fieldRef: ObjectFieldSelector? = nil, resourceFieldRef: JSONValue? = nil
    ) {
        self.secretKeyRef = secretKeyRef
        self.configMapKeyRef = configMapKeyRef
        self.fieldRef = fieldRef
        self.resourceFieldRef = resourceFieldRef
    }

    /// `core/v1.SecretKeySelector` and `ConfigMapKeySelector`.
    public struct KeySelector: Codable, Sendable, Hashable {
        public var name: String
        public var key: String
        public var optional: Bool?

        public init(name: String, key: String, optional: Bool? = nil) {
            self.name = name
            self.key = key
            self.optional = optional
        }
    }

    /// `core/v1.ObjectFieldSelector`.
    public struct ObjectFieldSelector: Codable, Sendable, Hashable {
        public var apiVersion: String?
        public var fieldPath: String

        public init(apiVersion: String? = nil, fieldPath: String) {
            self.apiVersion = apiVersion
            self.fieldPath = fieldPath
        }
    }
}

/// `core/v1.Toleration`.
public struct Toleration: Codable, Sendable, Hashable {
    public var key: String?
    /// `Exists` or `Equal`.
    public var `operator`: String?
    public var value: String?
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    public var effect: String?
    public var tolerationSeconds: Int64?

    public init(
        key: String? = nil, operator: String? = nil, value: String? = nil,
        effect: String? = nil, tolerationSeconds: Int64? = nil
    ) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }
}

/// `core/v1.ResourceRequirements`.
public struct ResourceRequirements: Codable, Sendable, Hashable {
    public var limits: [String: Quantity]?
    public var requests: [String: Quantity]?

    public init(limits: [String: Quantity]? = nil, requests: [String: Quantity]? = nil) {
        self.limits = limits
        self.requests = requests
    }
}
