import KubeClient

/// Checks a built-in object (and the metadata of a custom resource) as the
/// real API server validates it on create and update, before anything is
/// stored or any file is touched.
///
/// Covered: `metadata` (the name rule of the kind, `generateName`, the
/// namespace, label keys and values, annotation keys); Pods and the pod
/// templates of Deployments and StatefulSets (see `ObjectValidator+PodSpec`);
/// Services (name, ports, type); ConfigMaps and Secrets (data keys). Other
/// fields are stored as sent. Custom resources keep their CRD schema
/// validation, which `ClusterState` runs separately.
///
/// Pure and cheap (no regular expressions): safe to run under the state lock
/// on every write.
struct ObjectValidator {
    /// How a kind's `metadata.name` is checked.
    enum NameRule: Sendable {
        /// RFC 1123 label: Namespaces and Services.
        case dns1123Label
        /// RFC 1123 subdomain: most kinds, custom resources included.
        case dns1123Subdomain
        /// Any name usable as a URL path segment: RBAC objects (`system:masters`).
        case pathSegment

        func messages(_ name: String) -> [String] {
            switch self {
            case .dns1123Label: return NameRules.dns1123Label(name)
            case .dns1123Subdomain: return NameRules.dns1123Subdomain(name)
            case .pathSegment: return NameRules.pathSegmentName(name)
            }
        }
    }

    /// The name rule of `type`, as Kubernetes assigns them.
    static func nameRule(for type: ResourceType) -> NameRule {
        if type.group == "rbac.authorization.k8s.io" { return .pathSegment }
        if type.group.isEmpty && (type.plural == "namespaces" || type.plural == "services") { return .dns1123Label }
        return .dns1123Subdomain
    }

    let type: ResourceType
    /// The errors found so far.
    var errors = FieldErrorList()

    init(type: ResourceType) {
        self.type = type
    }

    /// Throws `422 Invalid` naming every bad field of `object`. With
    /// `metadataOnly` (a status write) only the metadata is checked, as the
    /// spec cannot change there.
    static func validate(_ type: ResourceType, _ object: JSONValue, metadataOnly: Bool = false) throws {
        var validator = ObjectValidator(type: type)
        validator.check(object, metadataOnly: metadataOnly)
        if !validator.errors.isEmpty {
            throw APIError.invalid(type, object["metadata"]?["name"]?.stringValue ?? "", validator.errors.causes)
        }
    }

    /// The checks of a namespace named in a request's URL: one that is not an
    /// RFC 1123 label can never exist, so a write there is invalid.
    static func validateRequestNamespace(_ namespace: String?, type: ResourceType, name: String?) throws {
        guard let namespace, type.namespaced else { return }
        let messages = NameRules.dns1123Label(namespace)
        guard !messages.isEmpty else { return }
        var errors = FieldErrorList()
        errors.invalid("metadata.namespace", namespace, each: messages)
        throw APIError.invalid(type, name ?? "", errors.causes)
    }

    mutating func check(_ object: JSONValue, metadataOnly: Bool) {
        checkMetadata(object["metadata"] ?? .object([:]), path: "metadata", nameRule: Self.nameRule(for: type), namespaced: type.namespaced)
        if metadataOnly || type.isCustom { return }
        switch (type.group, type.plural) {
        case ("", "pods"):
            checkPodSpec(object["spec"] ?? .object([:]), path: "spec")
        case ("", "services"):
            checkServiceSpec(object["spec"] ?? .object([:]), path: "spec")
        case ("", "configmaps"):
            checkConfigMapData(object)
        case ("", "secrets"):
            checkKeys(object["data"], path: "data")
        case ("apps", "deployments"), ("apps", "statefulsets"), ("apps", "replicasets"), ("apps", "daemonsets"), ("batch", "jobs"):
            checkPodTemplate(object["spec"]?["template"], path: "spec.template")
        case ("batch", "cronjobs"):
            checkPodTemplate(object["spec"]?["jobTemplate"]?["spec"]?["template"], path: "spec.jobTemplate.spec.template")
        default:
            break
        }
    }

    // MARK: Metadata

    /// `ValidateObjectMeta`: name, generateName, namespace, labels, annotations.
    mutating func checkMetadata(_ metadata: JSONValue, path: String, nameRule: NameRule?, namespaced: Bool) {
        if let nameRule {
            if let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty {
                errors.invalid(path + ".generateName", prefix, each: nameRule.messages(NameRules.maskingTrailingDash(prefix)))
            }
            let name = metadata["name"]?.stringValue ?? ""
            if name.isEmpty {
                errors.required(path + ".name", "name or generateName is required")
            } else {
                errors.invalid(path + ".name", name, each: nameRule.messages(name))
            }
            if namespaced, let namespace = metadata["namespace"]?.stringValue, !namespace.isEmpty {
                errors.invalid(path + ".namespace", namespace, each: NameRules.dns1123Label(namespace))
            }
        }
        checkLabels(metadata["labels"], path: path + ".labels")
        if let annotations = metadata["annotations"]?.objectValue {
            for key in annotations.keys.sorted() {
                errors.invalid(path + ".annotations", key, each: NameRules.labelKey(key.lowercased()))
            }
        }
    }

    /// `ValidateLabels`: every key a qualified name, every value a label value.
    mutating func checkLabels(_ labels: JSONValue?, path: String) {
        guard let labels = labels?.objectValue else { return }
        for key in labels.keys.sorted() {
            errors.invalid(path, key, each: NameRules.labelKey(key))
            if let value = labels[key]?.stringValue {
                errors.invalid(path, value, each: NameRules.labelValue(value))
            }
        }
    }

    // MARK: ConfigMaps and Secrets

    /// The keys of a ConfigMap's `data` and `binaryData`, which become file names in volumes.
    private mutating func checkConfigMapData(_ object: JSONValue) {
        checkKeys(object["data"], path: "data")
        guard let binary = object["binaryData"]?.objectValue else { return }
        let text = object["data"]?.objectValue ?? [:]
        for key in binary.keys.sorted() {
            errors.invalid("binaryData[\(key)]", key, each: NameRules.configMapKey(key))
            if text[key] != nil { errors.invalid("binaryData[\(key)]", key, "duplicate of key present in data") }
        }
    }

    private mutating func checkKeys(_ data: JSONValue?, path: String) {
        guard let data = data?.objectValue else { return }
        for key in data.keys.sorted() {
            errors.invalid("\(path)[\(key)]", key, each: NameRules.configMapKey(key))
        }
    }
}
