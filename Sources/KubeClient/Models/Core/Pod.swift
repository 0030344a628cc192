/// `core/v1.Pod`.
public struct Pod: KubernetesResource, HasStatusSubresource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PodSpec?
    public var status: PodStatus?

    public init(metadata: ObjectMeta, spec: PodSpec? = nil, status: PodStatus? = nil) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// `core/v1.PodSpec` (the fields Ringmaster and its local cluster use; the rest
/// of the pod is kept as JSON where noted).
public struct PodSpec: Codable, Sendable, Hashable {
    public var containers: [Container]
    public var initContainers: [Container]?
    /// `Always`, `OnFailure` or `Never`.
    public var restartPolicy: String?
    public var hostname: String?
    public var subdomain: String?
    public var nodeName: String?
    public var nodeSelector: [String: String]?
    public var tolerations: [Toleration]?
    /// `core/v1.Affinity`, kept as JSON.
    public var affinity: JSONValue?
    public var priorityClassName: String?
    public var serviceAccountName: String?
    public var volumes: [Volume]?
    public var terminationGracePeriodSeconds: Int64?
    public var activeDeadlineSeconds: Int64?
    /// `core/v1.PodSecurityContext`, kept as JSON.
    public var securityContext: JSONValue?
    public var schedulerName: String?
    public var enableServiceLinks: Bool?
    /// Whether the ServiceAccount's token is mounted into the containers;
    /// nil defers to the ServiceAccount (which defaults to true).
    public var automountServiceAccountToken: Bool?

    public init(
        containers: [Container], initContainers: [Container]? = nil, restartPolicy: String? = nil,
        hostname: String? = nil, subdomain: String? = nil, nodeName: String? = nil,
        nodeSelector: [String: String]? = nil, tolerations: [Toleration]? = nil,
        affinity: JSONValue? = nil, priorityClassName: String? = nil, serviceAccountName: String? = nil,
        volumes: [Volume]? = nil, terminationGracePeriodSeconds: Int64? = nil,
        activeDeadlineSeconds: Int64? = nil, securityContext: JSONValue? = nil,
        schedulerName: String? = nil, enableServiceLinks: Bool? = nil, automountServiceAccountToken: Bool? = nil
    ) {
        self.containers = containers
        self.initContainers = initContainers
        self.restartPolicy = restartPolicy
        self.hostname = hostname
        self.subdomain = subdomain
        self.nodeName = nodeName
        self.nodeSelector = nodeSelector
        self.tolerations = tolerations
        self.affinity = affinity
        self.priorityClassName = priorityClassName
        self.serviceAccountName = serviceAccountName
        self.volumes = volumes
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
        self.activeDeadlineSeconds = activeDeadlineSeconds
        self.securityContext = securityContext
        self.schedulerName = schedulerName
        self.enableServiceLinks = enableServiceLinks
        self.automountServiceAccountToken = automountServiceAccountToken
    }
}

/// `core/v1.Container`.
public struct Container: Codable, Sendable, Hashable {
    public var name: String
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var env: [EnvVar]?
    public var resources: ResourceRequirements?
    public var ports: [ContainerPort]?
    public var volumeMounts: [VolumeMount]?
    public var workingDir: String?
    public var terminationMessagePath: String?
    /// `Always`, `IfNotPresent` or `Never`.
    public var imagePullPolicy: String?
    /// `core/v1.SecurityContext`, kept as JSON.
    public var securityContext: JSONValue?
    /// `core/v1.Probe`, kept as JSON.
    public var readinessProbe: JSONValue?
    public var livenessProbe: JSONValue?
    /// On an init container, `Always` makes it a sidecar: started in order,
    /// then kept running (and restarted) beside the main containers, and
    /// stopped after them. Not allowed on other containers.
    public var restartPolicy: String?

    public init(
        name: String, image: String? = nil, command: [String]? = nil, args: [String]? = nil,
        env: [EnvVar]? = nil, resources: ResourceRequirements? = nil, ports: [ContainerPort]? = nil,
        volumeMounts: [VolumeMount]? = nil, workingDir: String? = nil,
        terminationMessagePath: String? = nil, imagePullPolicy: String? = nil,
        securityContext: JSONValue? = nil, readinessProbe: JSONValue? = nil, livenessProbe: JSONValue? = nil,
        restartPolicy: String? = nil
    ) {
        self.name = name
        self.image = image
        self.command = command
        self.args = args
        self.env = env
        self.resources = resources
        self.ports = ports
        self.volumeMounts = volumeMounts
        self.workingDir = workingDir
        self.terminationMessagePath = terminationMessagePath
        self.imagePullPolicy = imagePullPolicy
        self.securityContext = securityContext
        self.readinessProbe = readinessProbe
        self.livenessProbe = livenessProbe
        self.restartPolicy = restartPolicy
    }

    /// Whether this (init) container is a sidecar (`restartPolicy: Always`).
    public var isSidecar: Bool { restartPolicy == "Always" }
}

/// `core/v1.ContainerPort`.
public struct ContainerPort: Codable, Sendable, Hashable {
    public var name: String?
    public var containerPort: Int32
    /// `TCP`, `UDP` or `SCTP`.
    public var `protocol`: String?

    public init(name: String? = nil, containerPort: Int32, protocol: String? = nil) {
        self.name = name
        self.containerPort = containerPort
        self.protocol = `protocol`
    }
}

/// `core/v1.VolumeMount`.
public struct VolumeMount: Codable, Sendable, Hashable {
    public var name: String
    public var mountPath: String
    public var subPath: String?
    public var readOnly: Bool?

    public init(name: String, mountPath: String, subPath: String? = nil, readOnly: Bool? = nil) {
        self.name = name
        self.mountPath = mountPath
        self.subPath = subPath
        self.readOnly = readOnly
    }
}

/// `core/v1.Volume`: the sources Ringmaster uses are typed; any other source
/// (hostPath, projected, ...) is kept as JSON in `other`, so nothing is lost.
public struct Volume: Codable, Sendable, Hashable {
    public var name: String
    public var persistentVolumeClaim: PersistentVolumeClaimVolumeSource?
    public var emptyDir: EmptyDirVolumeSource?
    public var secret: SecretVolumeSource?
    public var configMap: ConfigMapVolumeSource?
    /// Every other member of the volume object, by its JSON name.
    public var other: [String: JSONValue]

    public init(
        name: String, persistentVolumeClaim: PersistentVolumeClaimVolumeSource? = nil,
        emptyDir: EmptyDirVolumeSource? = nil, secret: SecretVolumeSource? = nil,
        configMap: ConfigMapVolumeSource? = nil, other: [String: JSONValue] = [:]
    ) {
        self.name = name
        self.persistentVolumeClaim = persistentVolumeClaim
        self.emptyDir = emptyDir
        self.secret = secret
        self.configMap = configMap
        self.other = other
    }

    private enum Known: String, CaseIterable {
        case name, persistentVolumeClaim, emptyDir, secret, configMap
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        name = try container.decode(String.self, forKey: AnyKey(stringValue: "name"))
        persistentVolumeClaim = try container.decodeIfPresent(
            PersistentVolumeClaimVolumeSource.self, forKey: AnyKey(stringValue: "persistentVolumeClaim"))
        emptyDir = try container.decodeIfPresent(EmptyDirVolumeSource.self, forKey: AnyKey(stringValue: "emptyDir"))
        secret = try container.decodeIfPresent(SecretVolumeSource.self, forKey: AnyKey(stringValue: "secret"))
        configMap = try container.decodeIfPresent(ConfigMapVolumeSource.self, forKey: AnyKey(stringValue: "configMap"))
        var other: [String: JSONValue] = [:]
        let known = Set(Known.allCases.map(\.rawValue))
        for key in container.allKeys where !known.contains(key.stringValue) {
            other[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
        self.other = other
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        for (key, value) in other { try container.encode(value, forKey: AnyKey(stringValue: key)) }
        try container.encode(name, forKey: AnyKey(stringValue: "name"))
        try container.encodeIfPresent(persistentVolumeClaim, forKey: AnyKey(stringValue: "persistentVolumeClaim"))
        try container.encodeIfPresent(emptyDir, forKey: AnyKey(stringValue: "emptyDir"))
        try container.encodeIfPresent(secret, forKey: AnyKey(stringValue: "secret"))
        try container.encodeIfPresent(configMap, forKey: AnyKey(stringValue: "configMap"))
    }
}

/// `core/v1.PersistentVolumeClaimVolumeSource`.
public struct PersistentVolumeClaimVolumeSource: Codable, Sendable, Hashable {
    public var claimName: String
    public var readOnly: Bool?
    public init(claimName: String, readOnly: Bool? = nil) {
        self.claimName = claimName
        self.readOnly = readOnly
    }
}

/// `core/v1.EmptyDirVolumeSource`.
public struct EmptyDirVolumeSource: Codable, Sendable, Hashable {
    public var medium: String?
    public var sizeLimit: Quantity?
    public init(medium: String? = nil, sizeLimit: Quantity? = nil) {
        self.medium = medium
        self.sizeLimit = sizeLimit
    }
}

/// `core/v1.SecretVolumeSource`.
public struct SecretVolumeSource: Codable, Sendable, Hashable {
    public var secretName: String?
    public var defaultMode: Int32?
    public var optional: Bool?
    public init(secretName: String? = nil, defaultMode: Int32? = nil, optional: Bool? = nil) {
        self.secretName = secretName
        self.defaultMode = defaultMode
        self.optional = optional
    }
}

/// `core/v1.ConfigMapVolumeSource`.
public struct ConfigMapVolumeSource: Codable, Sendable, Hashable {
    public var name: String?
    public var defaultMode: Int32?
    public var optional: Bool?
    public init(name: String? = nil, defaultMode: Int32? = nil, optional: Bool? = nil) {
        self.name = name
        self.defaultMode = defaultMode
        self.optional = optional
    }
}
