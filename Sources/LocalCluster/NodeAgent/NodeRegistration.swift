import Foundation
import KubeClient
import Logging

/// `core/v1.Node`, kept as JSON beyond its metadata: the node agent only
/// writes its own Node object.
struct NodeObject: HasStatusSubresource {
    static let descriptor = ResourceDescriptor(group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false)
    var apiVersion: String? = "v1"
    var kind: String? = "Node"
    var metadata: ObjectMeta
    var spec: JSONValue?
    var status: JSONValue?
}

/// Publishes the local node as a Node object, so that `kubectl get nodes`
/// and `kubectl describe node` show it: its labels, capacity (also as
/// allocatable), addresses, system information and a `Ready` condition.
/// The agent registers at start; no heartbeat is kept afterwards.
struct NodeRegistration: Sendable {
    var configuration: NodeAgentConfiguration
    var api: any NodeAgentAPI
    var logger: Logger

    /// Creates the Node or brings an existing one up to date. Failures are
    /// logged, not thrown: pods run without a Node object.
    func register() async {
        let name = configuration.nodeName
        do {
            let metadata = ObjectMeta(name: name, labels: configuration.labels)
            if try await api.get(NodeObject.self, namespace: "", name: name) == nil {
                _ = try await api.create(NodeObject(metadata: metadata, spec: .object([:])))
            } else {
                let labels = JSONValue.object(configuration.labels.mapValues(JSONValue.string))
                _ = try await api.mergePatch(
                    NodeObject.self, namespace: "", name: name, patch: .object(["metadata": .object(["labels": labels])]))
            }
            _ = try await api.mergePatchStatus(
                NodeObject.self, namespace: "", name: name, patch: .object(["status": status()]))
        } catch {
            logger.warning("cannot register node \(name): \(error)")
        }
    }

    func status(now: Date = Date()) -> JSONValue {
        var resources: [String: JSONValue] = [:]
        for (resource, milli) in configuration.capacity.milliValues {
            resources[resource] = .string(Self.format(milli, resource: resource))
        }
        resources["pods"] = "110"
        let time = JSONValue.string(RFC3339.format(now))
        let ready: JSONValue = [
            "type": "Ready", "status": "True", "reason": "KubeletReady",
            "message": "the node agent is running pods as local processes",
            "lastHeartbeatTime": time, "lastTransitionTime": time,
        ]
        var system = utsname()
        uname(&system)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let machineID = Self.read("/etc/machine-id") ?? "local"
        let nodeInfo: JSONValue = .object([
            "machineID": .string(machineID),
            "systemUUID": .string(machineID),
            "bootID": .string(Self.read("/proc/sys/kernel/random/boot_id") ?? ""),
            "kernelVersion": .string(field(system.release)),
            "osImage": .string(Self.osImage()),
            "containerRuntimeVersion": "local-process://1",
            "kubeletVersion": "v1.37.0-ringmaster",
            "kubeProxyVersion": "",
            "operatingSystem": "linux",
            "architecture": .string(NodeAgentConfiguration.architecture),
        ])
        return .object([
            "capacity": .object(resources),
            "allocatable": .object(resources),
            "conditions": [ready],
            "addresses": [
                ["type": "InternalIP", "address": .string(configuration.hostIP)],
                ["type": "Hostname", "address": .string(configuration.nodeName)],
            ],
            "nodeInfo": nodeInfo,
        ])
    }

    /// A quantity as the API writes it: whole units, millis for fractional
    /// CPU, and memory in Ki.
    static func format(_ milli: Int64, resource: String) -> String {
        if resource == "memory" { return "\(milli / 1000 / 1024)Ki" }
        if milli % 1000 == 0 { return "\(milli / 1000)" }
        return "\(milli)m"
    }

    private static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func osImage() -> String {
        let release = read("/etc/os-release") ?? ""
        for line in release.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return "Linux"
    }
}
