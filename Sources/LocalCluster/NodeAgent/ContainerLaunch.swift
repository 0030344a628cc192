import Foundation
import KubeClient

/// Everything needed to start one container as a local process.
public struct ContainerLaunch: Sendable, Hashable {
    /// The executable and its arguments.
    public var arguments: [String]
    /// The complete environment of the process.
    public var environment: [String: String]
    /// The directory the process starts in, if the container sets one (a
    /// path inside the container's mounts when `isolation` is set).
    public var workingDirectory: String?
    /// Host directories or files the process sees at other paths, in a
    /// mount namespace of its own (see `PrivateMountNamespace`).
    public var bindMounts: [BindMount]
    /// The Pod's namespaces the process joins; nil runs it in the agent's
    /// network and with its hostname.
    public var isolation: Isolation?

    /// A host directory or file shown at another path inside the container.
    public struct BindMount: Sendable, Hashable {
        public var source: String
        public var target: String
        public var readOnly: Bool

        public init(source: String, target: String, readOnly: Bool = true) {
            self.source = source
            self.target = target
            self.readOnly = readOnly
        }
    }

    /// The Pod's sandbox as a container sees it: its network namespace, its
    /// hostname (a UTS namespace of the container's own), its hosts file at
    /// `/etc/hosts` and its resolver configuration at `/etc/resolv.conf`.
    public struct Isolation: Sendable, Hashable {
        /// The network namespace to join (`/run/netns/<name>`).
        public var networkNamespace: String
        public var hostname: String
        /// The host file shown at `/etc/hosts`.
        public var hostsFile: String
        /// The file shown at `/etc/resolv.conf` (see `HostsFile.resolverText`).
        public var resolverFile: String

        public init(networkNamespace: String, hostname: String, hostsFile: String, resolverFile: String) {
            self.networkNamespace = networkNamespace
            self.hostname = hostname
            self.hostsFile = hostsFile
            self.resolverFile = resolverFile
        }
    }

    public init(
        arguments: [String], environment: [String: String], workingDirectory: String?, bindMounts: [BindMount] = [],
        isolation: Isolation? = nil
    ) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.bindMounts = bindMounts
        self.isolation = isolation
    }
}

/// The variables the node agent adds to every container.
public enum NodeAgentEnvironment {
    /// The hosts-format file naming the namespace's pods (see `HostsFile`).
    public static let hostsFile = "RINGMASTER_HOSTS_FILE"
    /// The file whose contents become the terminated state's message
    /// (the counterpart of `terminationMessagePath`).
    public static let terminationMessagePath = "RINGMASTER_TERMINATION_MESSAGE_PATH"
    /// The API server's host and port, as in every Kubernetes container
    /// (in-cluster configuration reads them); the container may override them.
    public static let serviceHost = "KUBERNETES_SERVICE_HOST"
    public static let servicePort = "KUBERNETES_SERVICE_PORT"
}

/// Builds the launch of a container from its pod, as the kubelet would build
/// the container's config.
///
/// ## Volumes
/// With `isolation` (the Pod has its own namespaces), each `volumeMount` is
/// a bind mount of the volume's host directory (joined with `subPath`) at
/// its `mountPath`, read-only when the mount says `readOnly` or the volume
/// is a Secret, ConfigMap, projected or downward API volume, as the kubelet
/// mounts them. The Pod's hosts file is bind-mounted at `/etc/hosts`.
///
/// ## Volume paths without isolation
/// A process that sees the host's file system without a mount namespace of
/// its own cannot have a volume at its `mountPath`. Instead every mount path is rewritten to the
/// volume's host directory (joined with `subPath` when set) wherever the
/// container names it: in each environment value, in each argument and in
/// `workingDir`, a value that equals a mount path or starts with a mount path
/// followed by `/` has that prefix replaced by the host directory. The
/// longest matching mount path wins. So `CHECKPOINT_DIR=/data/ckpt` with a
/// claim mounted at `/data` becomes `<dataDir>/volumes/<ns>/<claim>/ckpt`.
/// Paths only mentioned inside other text (`--out=/data`) are not rewritten.
///
/// ## Variables
/// `value`, and `valueFrom` with `secretKeyRef`, `configMapKeyRef` and
/// `fieldRef` (`metadata.name`, `metadata.namespace`, `metadata.uid`,
/// `metadata.labels['k']`, `metadata.annotations['k']`, `spec.nodeName`,
/// `spec.serviceAccountName`, `status.podIP`, `status.hostIP`) are supported;
/// `$(NAME)` references to earlier variables are expanded in values, command
/// and args as Kubernetes does (`$$` escapes). `PATH` is inherited from the
/// node agent unless the container sets it, `HOSTNAME` is the pod's hostname,
/// `KUBERNETES_SERVICE_HOST`/`PORT` name the API server (the container may set
/// its own), and the other variables of `NodeAgentEnvironment` are set last.
///
/// ## ServiceAccount token
/// With `serviceAccountDirectory` set, the launch bind-mounts it at
/// `/var/run/secrets/kubernetes.io/serviceaccount` when `isolation` is set
/// or `canBindMount`;
/// otherwise that path is rewritten to the directory as a volume's mount
/// path is, in env values, arguments and `workingDir`.
public struct ContainerLaunchBuilder: Sendable {
    public var pod: Pod
    public var podIP: String
    public var hostIP: String
    public var nodeName: String
    /// The host directory of each volume of the pod, by volume name.
    public var volumeDirectories: [String: String]
    public var secrets: [String: Secret]
    public var configMaps: [String: ConfigMap]
    public var hostsFile: String
    public var inheritedPath: String
    /// The API server as containers reach it (`KUBERNETES_SERVICE_HOST`/`PORT`).
    public var apiServer: URL?
    /// The host directory holding the pod's projected ServiceAccount token,
    /// CA and namespace; nil when the pod gets none.
    public var serviceAccountDirectory: String?
    /// Whether that directory can be bind-mounted at
    /// `KubeConfig.serviceAccountRoot`; if not, the standard path is
    /// rewritten to it like a volume's mount path.
    public var canBindMount: Bool
    /// The Pod's namespaces; nil: the container shares the agent's network
    /// and its volume paths are rewritten.
    public var isolation: ContainerLaunch.Isolation?

    public init(
        pod: Pod, podIP: String, hostIP: String, nodeName: String, volumeDirectories: [String: String],
        secrets: [String: Secret], configMaps: [String: ConfigMap], hostsFile: String,
        inheritedPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
        apiServer: URL? = nil, serviceAccountDirectory: String? = nil, canBindMount: Bool = false,
        isolation: ContainerLaunch.Isolation? = nil
    ) {
        self.isolation = isolation
        self.pod = pod
        self.podIP = podIP
        self.hostIP = hostIP
        self.nodeName = nodeName
        self.volumeDirectories = volumeDirectories
        self.secrets = secrets
        self.configMaps = configMaps
        self.hostsFile = hostsFile
        self.inheritedPath = inheritedPath
        self.apiServer = apiServer
        self.serviceAccountDirectory = serviceAccountDirectory
        self.canBindMount = canBindMount
    }

    /// The launch of `container`.
    ///
    /// Throws `imageNotAvailable` when no rule of `mapping` runs its image,
    /// and `containerConfig` when a reference cannot be resolved (a missing
    /// Secret or key that is not optional, an unsupported field path, a mount
    /// of an unknown volume) or a `subPath` would leave its volume (absolute,
    /// or with a `..` element).
    public func launch(
        _ container: Container, mapping: ImageMapping, terminationMessagePath: String
    ) throws(NodeAgentError) -> ContainerLaunch {
        let image = container.image ?? ""
        guard let rule = mapping.rule(for: image) else {
            throw NodeAgentError(.imageNotAvailable, ImageMapping.unavailableMessage(image: image))
        }
        if rule.executable == nil && (container.command ?? []).isEmpty {
            throw NodeAgentError(
                .containerConfig,
                "container \"\(container.name)\": image \"\(image)\" runs on the host's root filesystem, which has no entry point of the image: set command")
        }
        var mounts = try mountTable(container)
        var bindMounts: [ContainerLaunch.BindMount] = []
        if let isolation {
            bindMounts = mounts.reversed().map { .init(source: $0.hostPath, target: $0.mountPath, readOnly: $0.readOnly) }
            bindMounts.append(.init(source: isolation.hostsFile, target: "/etc/hosts"))
            bindMounts.append(.init(source: isolation.resolverFile, target: "/etc/resolv.conf"))
            mounts = []
        }
        if let serviceAccountDirectory {
            if canBindMount || isolation != nil {
                bindMounts.append(.init(source: serviceAccountDirectory, target: KubeConfig.serviceAccountRoot))
            } else {
                mounts.append((KubeConfig.serviceAccountRoot, serviceAccountDirectory, true))
                mounts.sort { $0.mountPath.count > $1.mountPath.count }
            }
        }

        var environment: [String: String] = ["PATH": inheritedPath, "HOSTNAME": pod.spec?.hostname ?? pod.metadata.name ?? ""]
        if let apiServer, let host = apiServer.host {
            environment[NodeAgentEnvironment.serviceHost] = host
            environment[NodeAgentEnvironment.servicePort] = String(apiServer.port ?? (apiServer.scheme == "http" ? 80 : 443))
        }
        var defined: [String: String] = [:]
        for variable in container.env ?? [] {
            guard let value = try resolve(variable, container: container) else { continue }
            let expanded = Self.expand(value, with: defined)
            defined[variable.name] = expanded
        }
        for (name, value) in defined {
            environment[name] = Self.rewrite(value, mounts: mounts)
        }
        environment[NodeAgentEnvironment.hostsFile] = isolation == nil ? hostsFile : "/etc/hosts"
        environment[NodeAgentEnvironment.terminationMessagePath] = terminationMessagePath

        let command = container.command.map { $0.map { Self.expand($0, with: defined) } }
        let args = container.args.map { $0.map { Self.rewrite(Self.expand($0, with: defined), mounts: mounts) } }
        let arguments = ImageMapping.argumentVector(rule: rule, command: command, args: args)
        let workingDirectory = container.workingDir.map { Self.rewrite($0, mounts: mounts) }
        return ContainerLaunch(
            arguments: arguments, environment: environment, workingDirectory: workingDirectory, bindMounts: bindMounts,
            isolation: isolation)
    }

    /// Mount path -> host directory for the container's mounts, longest mount path first.
    func mountTable(_ container: Container) throws(NodeAgentError) -> [(mountPath: String, hostPath: String, readOnly: Bool)] {
        var table: [(mountPath: String, hostPath: String, readOnly: Bool)] = []
        for mount in container.volumeMounts ?? [] {
            guard let directory = volumeDirectories[mount.name] else {
                throw NodeAgentError(
                    .containerConfig,
                    "container \"\(container.name)\" mounts volume \"\(mount.name)\", which the pod does not define")
            }
            var host = directory
            if let subPath = mount.subPath, !subPath.isEmpty {
                host = try ConfinedPath.join(directory, relative: subPath, role: "container \"\(container.name)\": subPath")
            }
            var path = mount.mountPath
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            let volume = pod.spec?.volumes?.first { $0.name == mount.name }
            let readOnlyVolume = volume?.secret != nil || volume?.configMap != nil
                || volume?.other["projected"] != nil || volume?.other["downwardAPI"] != nil
            table.append((path, host, mount.readOnly == true || readOnlyVolume))
        }
        return table.sorted { $0.mountPath.count > $1.mountPath.count }
    }

    /// Applies the mount path rewrite rule to one value.
    static func rewrite(_ value: String, mounts: [(mountPath: String, hostPath: String, readOnly: Bool)]) -> String {
        for (mountPath, hostPath, _) in mounts {
            if value == mountPath { return hostPath }
            let prefix = mountPath == "/" ? "/" : mountPath + "/"
            if value.hasPrefix(prefix) {
                return hostPath + "/" + value.dropFirst(prefix.count)
            }
        }
        return value
    }

    /// Expands `$(NAME)` references to defined variables; `$$(NAME)` gives a
    /// literal `$(NAME)`; undefined references are left as written.
    static func expand(_ value: String, with variables: [String: String]) -> String {
        guard value.contains("$") else { return value }
        var result = ""
        var index = value.startIndex
        while index < value.endIndex {
            let character = value[index]
            let next = value.index(after: index)
            if character == "$", next < value.endIndex {
                if value[next] == "$" {
                    result.append("$")
                    index = value.index(after: next)
                    continue
                }
                if value[next] == "(", let close = value[next...].firstIndex(of: ")") {
                    let name = String(value[value.index(after: next)..<close])
                    if let replacement = variables[name] {
                        result += replacement
                    } else {
                        result += value[index...close]
                    }
                    index = value.index(after: close)
                    continue
                }
            }
            result.append(character)
            index = next
        }
        return result
    }

    private func resolve(_ variable: EnvVar, container: Container) throws(NodeAgentError) -> String? {
        guard let source = variable.valueFrom else { return variable.value ?? "" }
        if let reference = source.secretKeyRef {
            guard let secret = secrets[reference.name] else {
                if reference.optional == true { return nil }
                throw NodeAgentError(.containerConfig, "secret \"\(reference.name)\" not found")
            }
            guard let data = secret.decodedData(reference.key) else {
                if reference.optional == true { return nil }
                throw NodeAgentError(
                    .containerConfig, "couldn't find key \(reference.key) in Secret \(namespace)/\(reference.name)")
            }
            return String(decoding: data, as: UTF8.self)
        }
        if let reference = source.configMapKeyRef {
            guard let configMap = configMaps[reference.name] else {
                if reference.optional == true { return nil }
                throw NodeAgentError(.containerConfig, "configmap \"\(reference.name)\" not found")
            }
            if let value = configMap.data?[reference.key] { return value }
            if let binary = configMap.binaryData?[reference.key], let data = Data(base64Encoded: binary) {
                return String(decoding: data, as: UTF8.self)
            }
            if reference.optional == true { return nil }
            throw NodeAgentError(
                .containerConfig, "couldn't find key \(reference.key) in ConfigMap \(namespace)/\(reference.name)")
        }
        if let field = source.fieldRef {
            return try fieldValue(field.fieldPath, variable: variable.name)
        }
        throw NodeAgentError(
            .containerConfig,
            "container \"\(container.name)\": env \(variable.name): only value, secretKeyRef, configMapKeyRef and fieldRef are supported on the local cluster")
    }

    private var namespace: String { pod.metadata.namespace ?? "default" }

    private func fieldValue(_ path: String, variable: String) throws(NodeAgentError) -> String {
        switch path {
        case "metadata.name": return pod.metadata.name ?? ""
        case "metadata.namespace": return namespace
        case "metadata.uid": return pod.metadata.uid ?? ""
        case "spec.nodeName": return nodeName
        case "spec.serviceAccountName": return pod.spec?.serviceAccountName ?? "default"
        case "status.podIP": return podIP
        case "status.hostIP": return hostIP
        default:
            for (prefix, values) in [
                ("metadata.labels", pod.metadata.labels), ("metadata.annotations", pod.metadata.annotations),
            ] where path.hasPrefix(prefix + "['") && path.hasSuffix("']") {
                let key = String(path.dropFirst(prefix.count + 2).dropLast(2))
                return values?[key] ?? ""
            }
            throw NodeAgentError(
                .containerConfig, "env \(variable): unsupported fieldRef fieldPath \"\(path)\"")
        }
    }
}
