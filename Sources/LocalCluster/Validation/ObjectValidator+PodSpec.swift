import KubeClient

/// The checks of a pod spec, in the real server's order and words: volumes,
/// init containers, containers, restart policy, service account, hostname
/// and subdomain. Every name the node agent turns into a path (volume and
/// container names, `subPath`, `hostPath`) is refused here first.
extension ObjectValidator {
    static let restartPolicies = ["Always", "OnFailure", "Never"]
    static let protocols = ["SCTP", "TCP", "UDP"]

    mutating func checkPodTemplate(_ template: JSONValue?, path: String) {
        guard let template else { return }
        checkMetadata(template["metadata"] ?? .object([:]), path: path + ".metadata", nameRule: nil, namespaced: false)
        checkPodSpec(template["spec"] ?? .object([:]), path: path + ".spec")
    }

    mutating func checkPodSpec(_ spec: JSONValue, path: String) {
        let volumeNames = checkVolumes(spec["volumes"]?.arrayValue ?? [], path: path + ".volumes")
        var containerNames = Set<String>()
        checkContainers(spec["initContainers"]?.arrayValue ?? [], path: path + ".initContainers", volumes: volumeNames, names: &containerNames)
        let containers = spec["containers"]?.arrayValue ?? []
        if containers.isEmpty {
            errors.required(path + ".containers")
        } else {
            checkContainers(containers, path: path + ".containers", volumes: volumeNames, names: &containerNames)
        }
        // A container's own restartPolicy: only `Always`, only on an init container (a sidecar).
        for (index, container) in (spec["initContainers"]?.arrayValue ?? []).enumerated() {
            if let policy = container["restartPolicy"]?.stringValue, policy != "Always" {
                errors.notSupported("\(path).initContainers[\(index)].restartPolicy", policy, supported: ["Always"])
            }
        }
        for (index, container) in containers.enumerated() where container["restartPolicy"] != nil {
            errors.forbidden("\(path).containers[\(index)].restartPolicy", "may not be set for non-init containers")
        }
        if let policy = spec["restartPolicy"]?.stringValue, !Self.restartPolicies.contains(policy) {
            errors.notSupported(path + ".restartPolicy", policy, supported: Self.restartPolicies)
        }
        for field in ["serviceAccountName", "serviceAccount"] {
            if let account = spec[field]?.stringValue, !account.isEmpty {
                errors.invalid(path + "." + field, account, each: NameRules.dns1123Subdomain(account))
            }
        }
        for field in ["hostname", "subdomain"] {
            if let value = spec[field]?.stringValue, !value.isEmpty {
                errors.invalid(path + "." + field, value, each: NameRules.dns1123Label(value))
            }
        }
    }

    /// `ValidateVolumes`; returns the names declared.
    private mutating func checkVolumes(_ volumes: [JSONValue], path: String) -> Set<String> {
        var names = Set<String>()
        for (index, volume) in volumes.enumerated() {
            let item = "\(path)[\(index)]"
            checkUniqueLabelName(volume["name"]?.stringValue ?? "", path: item + ".name", among: &names)
            if let hostPath = volume["hostPath"] {
                let value = hostPath["path"]?.stringValue ?? ""
                if value.isEmpty {
                    errors.required(item + ".hostPath.path")
                } else {
                    if !value.hasPrefix("/") { errors.invalid(item + ".hostPath.path", value, "must be an absolute path") }
                    checkNoBacksteps(value, path: item + ".hostPath.path")
                }
            }
            if let claim = volume["persistentVolumeClaim"] {
                let claimName = claim["claimName"]?.stringValue ?? ""
                if claimName.isEmpty { errors.required(item + ".persistentVolumeClaim.claimName") }
            }
            if let secret = volume["secret"] {
                let secretName = secret["secretName"]?.stringValue ?? ""
                if secretName.isEmpty { errors.required(item + ".secret.secretName") }
                checkKeyToPaths(secret["items"]?.arrayValue ?? [], path: item + ".secret.items")
            }
            if let configMap = volume["configMap"] {
                let configMapName = configMap["name"]?.stringValue ?? ""
                if configMapName.isEmpty { errors.required(item + ".configMap.name") }
                checkKeyToPaths(configMap["items"]?.arrayValue ?? [], path: item + ".configMap.items")
            }
        }
        return names
    }

    /// A volume's or container's name: required, a DNS-1123 label, and not
    /// among `names` (the names seen so far, which it joins).
    private mutating func checkUniqueLabelName(_ name: String, path: String, among names: inout Set<String>) {
        if name.isEmpty {
            errors.required(path)
        } else {
            errors.invalid(path, name, each: NameRules.dns1123Label(name))
        }
        if names.contains(name) { errors.duplicate(path, name) }
        names.insert(name)
    }

    /// The `items` of a ConfigMap or Secret volume: a key and a relative path that stays inside the volume.
    private mutating func checkKeyToPaths(_ items: [JSONValue], path: String) {
        for (index, entry) in items.enumerated() {
            let item = "\(path)[\(index)]"
            if (entry["key"]?.stringValue ?? "").isEmpty { errors.required(item + ".key") }
            let target = entry["path"]?.stringValue ?? ""
            if target.isEmpty {
                errors.required(item + ".path")
            } else {
                checkLocalDescendingPath(target, path: item + ".path")
                if target.hasPrefix("..") { errors.invalid(item + ".path", target, "must not start with '..'") }
            }
        }
    }

    private mutating func checkContainers(_ containers: [JSONValue], path: String, volumes: Set<String>, names: inout Set<String>) {
        for (index, container) in containers.enumerated() {
            let item = "\(path)[\(index)]"
            checkUniqueLabelName(container["name"]?.stringValue ?? "", path: item + ".name", among: &names)
            if (container["image"]?.stringValue ?? "").isEmpty { errors.required(item + ".image") }
            checkPorts(container["ports"]?.arrayValue ?? [], path: item + ".ports")
            checkEnvironment(container["env"]?.arrayValue ?? [], path: item + ".env")
            checkVolumeMounts(container["volumeMounts"]?.arrayValue ?? [], path: item + ".volumeMounts", volumes: volumes)
        }
    }

    /// `validateContainerPorts`.
    private mutating func checkPorts(_ ports: [JSONValue], path: String) {
        var names = Set<String>()
        for (index, port) in ports.enumerated() {
            let item = "\(path)[\(index)]"
            if let name = port["name"]?.stringValue, !name.isEmpty {
                let messages = NameRules.portName(name)
                if !messages.isEmpty {
                    errors.invalid(item + ".name", name, each: messages)
                } else if names.contains(name) {
                    errors.duplicate(item + ".name", name)
                } else {
                    names.insert(name)
                }
            }
            let number = port["containerPort"]?.intValue ?? 0
            if number == 0 {
                errors.required(item + ".containerPort")
            } else {
                for message in NameRules.portNumber(number) { errors.invalid(item + ".containerPort", number, message) }
            }
            if let host = port["hostPort"]?.intValue, host != 0 {
                for message in NameRules.portNumber(host) { errors.invalid(item + ".hostPort", host, message) }
            }
            if let proto = port["protocol"]?.stringValue, !Self.protocols.contains(proto) {
                errors.notSupported(item + ".protocol", proto, supported: Self.protocols)
            }
        }
    }

    /// `validateEnv`: names only (values are free text).
    private mutating func checkEnvironment(_ variables: [JSONValue], path: String) {
        for (index, variable) in variables.enumerated() {
            let item = "\(path)[\(index)].name"
            let name = variable["name"]?.stringValue ?? ""
            if name.isEmpty {
                errors.required(item)
            } else {
                errors.invalid(item, name, each: NameRules.environmentVariableName(name))
            }
        }
    }

    /// `ValidateVolumeMounts`, with an absolute `mountPath` required as well
    /// (the node agent rewrites paths by their mount prefix).
    private mutating func checkVolumeMounts(_ mounts: [JSONValue], path: String, volumes: Set<String>) {
        var mountPoints = Set<String>()
        for (index, mount) in mounts.enumerated() {
            let item = "\(path)[\(index)]"
            let name = mount["name"]?.stringValue ?? ""
            if name.isEmpty {
                errors.required(item + ".name")
            } else if !volumes.contains(name) {
                errors.notFound(item + ".name", name)
            }
            let mountPath = mount["mountPath"]?.stringValue ?? ""
            if mountPath.isEmpty {
                errors.required(item + ".mountPath")
            } else if !mountPath.hasPrefix("/") {
                errors.invalid(item + ".mountPath", mountPath, "must be an absolute path")
            }
            if mountPoints.contains(mountPath) { errors.invalid(item + ".mountPath", mountPath, "must be unique") }
            mountPoints.insert(mountPath)
            if let subPath = mount["subPath"]?.stringValue, !subPath.isEmpty {
                // The real server names this field without the index.
                checkLocalDescendingPath(subPath, path: path + ".subPath")
            }
        }
    }

    /// `validateLocalDescendingPath`: relative, and no `..` element.
    private mutating func checkLocalDescendingPath(_ value: String, path: String) {
        if value.hasPrefix("/") { errors.invalid(path, value, "must be a relative path") }
        checkNoBacksteps(value, path: path)
    }

    /// `validatePathNoBacksteps`: no `..` element (one error however many there are).
    private mutating func checkNoBacksteps(_ value: String, path: String) {
        if value.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            errors.invalid(path, value, "must not contain '..'")
        }
    }
}
