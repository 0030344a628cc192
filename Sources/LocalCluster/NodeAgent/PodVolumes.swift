import Foundation
import KubeClient

/// Gives each volume of a pod a host directory, as the kubelet mounts them.
///
/// - `persistentVolumeClaim`: the claim's directory (`Layout.volumeDirectory`).
/// - `emptyDir`: `<podDir>/volumes/<volume>`, created empty with the pod.
/// - `configMap`, `secret`: `<podDir>/volumes/<volume>` holding one file per
///   key (`defaultMode`, else 0644 for a ConfigMap and 0600 for a Secret);
///   rewritten on each start.
/// - `hostPath`: the path itself, which must be absolute without `..`.
/// Any other source is refused with a `containerConfig` error, and so is a
/// volume name, claim name or key that would leave its directory
/// (`ConfinedPath`): nothing is written or removed for such a pod.
struct PodVolumes: Sendable {
    var layout: Layout

    /// The names of the Secrets and ConfigMaps that `pod` refers to.
    static func references(of pod: Pod) -> (secrets: Set<String>, configMaps: Set<String>) {
        var secrets = Set<String>()
        var configMaps = Set<String>()
        for volume in pod.spec?.volumes ?? [] {
            if let name = volume.secret?.secretName { secrets.insert(name) }
            if let name = volume.configMap?.name { configMaps.insert(name) }
        }
        let containers = (pod.spec?.initContainers ?? []) + (pod.spec?.containers ?? [])
        for variable in containers.flatMap({ $0.env ?? [] }) {
            if let name = variable.valueFrom?.secretKeyRef?.name { secrets.insert(name) }
            if let name = variable.valueFrom?.configMapKeyRef?.name { configMaps.insert(name) }
        }
        return (secrets, configMaps)
    }

    /// The claim names the pod uses.
    static func claims(of pod: Pod) -> [String] {
        (pod.spec?.volumes ?? []).compactMap { $0.persistentVolumeClaim?.claimName }
    }

    /// Creates the host side of every volume and returns volume name -> host directory.
    func prepare(
        pod: Pod, secrets: [String: Secret], configMaps: [String: ConfigMap]
    ) throws(NodeAgentError) -> [String: String] {
        let namespace = pod.metadata.namespace ?? "default"
        let podDirectory = try layout.podDirectory(namespace: namespace, name: pod.metadata.name ?? "")
        var directories: [String: String] = [:]
        // Every path first, so that a bad name leaves the disk untouched.
        var locals: [URL] = []
        for volume in pod.spec?.volumes ?? [] {
            locals.append(try ConfinedPath.join(podDirectory, [("volumes", "directory"), (volume.name, "volume name")]))
            if let claim = volume.persistentVolumeClaim { _ = try layout.volumeDirectory(namespace: namespace, claim: claim.claimName) }
            if let path = volume.other["hostPath"]?["path"]?.stringValue, !ConfinedPath.isAbsoluteWithoutBacksteps(path) {
                throw NodeAgentError(.containerConfig, "volume \"\(volume.name)\": hostPath \"\(path)\" must be an absolute path without '..'")
            }
        }
        for (volume, local) in zip(pod.spec?.volumes ?? [], locals) {
            if let claim = volume.persistentVolumeClaim {
                let directory = try layout.volumeDirectory(namespace: namespace, claim: claim.claimName)
                try Self.makeDirectory(directory)
                directories[volume.name] = directory.path
            } else if volume.emptyDir != nil {
                try Self.makeDirectory(local)
                directories[volume.name] = local.path
            } else if let source = volume.secret {
                let name = source.secretName ?? ""
                var files: [String: Data] = [:]
                if let secret = secrets[name] {
                    for key in (secret.data ?? [:]).keys {
                        guard let data = secret.decodedData(key) else {
                            throw NodeAgentError(.containerConfig, "secret \"\(name)\" key \(key) is not valid base64")
                        }
                        files[key] = data
                    }
                } else if source.optional != true {
                    throw NodeAgentError(.containerConfig, "MountVolume.SetUp failed for volume \"\(volume.name)\" : secret \"\(name)\" not found")
                }
                try Self.writeFiles(files, into: local, mode: source.defaultMode ?? 0o600)
                directories[volume.name] = local.path
            } else if let source = volume.configMap {
                let name = source.name ?? ""
                var files: [String: Data] = [:]
                if let configMap = configMaps[name] {
                    for (key, value) in configMap.data ?? [:] { files[key] = Data(value.utf8) }
                    for (key, value) in configMap.binaryData ?? [:] {
                        guard let data = Data(base64Encoded: value) else {
                            throw NodeAgentError(.containerConfig, "configmap \"\(name)\" key \(key) is not valid base64")
                        }
                        files[key] = data
                    }
                } else if source.optional != true {
                    throw NodeAgentError(.containerConfig, "MountVolume.SetUp failed for volume \"\(volume.name)\" : configmap \"\(name)\" not found")
                }
                try Self.writeFiles(files, into: local, mode: source.defaultMode ?? 0o644)
                directories[volume.name] = local.path
            } else if let path = volume.other["hostPath"]?["path"]?.stringValue {
                directories[volume.name] = path
            } else {
                let kind = volume.other.keys.sorted().first ?? "unknown"
                throw NodeAgentError(
                    .containerConfig,
                    "volume \"\(volume.name)\": \(kind) volumes are not supported on the local cluster (use persistentVolumeClaim, emptyDir, configMap, secret or hostPath)")
            }
        }
        return directories
    }

    static func makeDirectory(_ url: URL) throws(NodeAgentError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw NodeAgentError(.fileSystem, "cannot create \(url.path): \(error)")
        }
    }

    static func writeFiles(_ files: [String: Data], into directory: URL, mode: Int32) throws(NodeAgentError) {
        let targets = try files.map { (key, data) throws(NodeAgentError) in
            (file: try ConfinedPath.join(directory, [(key, "key")], directory: false), data: data)
        }
        do {
            if FileManager.default.fileExists(atPath: directory.path) {
                try FileManager.default.removeItem(at: directory)
            }
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for target in targets {
                try PrivateFiles.write(target.data, to: target.file, mode: mode_t(truncatingIfNeeded: mode))
            }
        } catch let error as NodeAgentError {
            throw error
        } catch {
            throw NodeAgentError(.fileSystem, "cannot write volume files in \(directory.path): \(error)")
        }
    }
}
