import Foundation
import KubeClient
import RingmasterTesting
import Testing
@testable import LocalCluster

/// Environment, volumes, names and messages of pods on the local cluster.
@Suite("Node agent: environment, volumes and claims", .serialized)
struct NodeAgentVolumeTests {
    @Test func containersSeeTheirEnvironmentVolumesPeersAndLeaveATerminationMessage() async throws {
        try await NodeAgentCluster.run { env in
            _ = try await env.client.secrets.create(
                Secret(metadata: ObjectMeta(name: "auth"), data: ["token": Data("s3cret".utf8).base64EncodedString()]), in: "default")
            _ = try await env.client.configMaps.create(
                ConfigMap(metadata: ObjectMeta(name: "settings"), data: ["mode": "fast", "file.txt": "from-configmap"]),
                in: "default")
            _ = try await env.client.persistentVolumeClaims.create(
                PersistentVolumeClaim(
                    metadata: ObjectMeta(name: "shared"),
                    spec: PersistentVolumeClaimSpec(
                        accessModes: ["ReadWriteMany"], resources: ResourceRequirements(requests: ["storage": "1Gi"]))),
                in: "default")
            let claimDirectory = try Layout(dataDirectory: env.cluster.dataDirectory).volumeDirectory(namespace: "default", claim: "shared")
            try await NodeAgentCluster.eventually("the claim to bind") {
                let claim = try await env.client.persistentVolumeClaims.get("shared", in: "default")
                return claim.status?.phase == "Bound"
            }
            let claim = try await env.client.persistentVolumeClaims.get("shared", in: "default")
            #expect(claim.spec?.volumeName == "pvc-\(claim.metadata.uid ?? "")")
            #expect(claim.status?.capacity?["storage"]?.value == "1Gi")
            #expect(FileManager.default.fileExists(atPath: claimDirectory.path))

            // Each worker waits until both names are in the hosts file, then
            // records what it sees into the shared claim, and stays (so in
            // the hosts file) until the other has recorded it too.
            let script = """
                for i in $(seq 100); do [ "$(grep -c svc.cluster.local "$RINGMASTER_HOSTS_FILE")" -ge 2 ] && break; sleep 0.1; done
                mkdir -p "$OUT"
                env > "$OUT/env-$POD_NAME"
                cp "$RINGMASTER_HOSTS_FILE" "$OUT/hosts-$POD_NAME"
                touch "$OUT/seen-$POD_NAME"
                for i in $(seq 100); do [ -e "$OUT/seen-w-0" ] && [ -e "$OUT/seen-w-1" ] && break; sleep 0.1; done
                cat "$CONFIG_DIR/file.txt" > "$OUT/config-$POD_NAME"
                pwd > "$OUT/pwd-$POD_NAME"
                printf 'finished %s' "$POD_NAME" > "$RINGMASTER_TERMINATION_MESSAGE_PATH"
                """
            for name in ["w-0", "w-1"] {
                var pod = NodeAgentCluster.shellPod(
                    name, script: script,
                    env: [
                        EnvVar(name: "OUT", value: "/shared/out"),
                        EnvVar(name: "CONFIG_DIR", value: "/etc/settings"),
                        EnvVar(name: "TOKEN", valueFrom: EnvVarSource(secretKeyRef: .init(name: "auth", key: "token"))),
                        EnvVar(name: "MODE", valueFrom: EnvVarSource(configMapKeyRef: .init(name: "settings", key: "mode"))),
                        EnvVar(name: "POD_NAME", valueFrom: EnvVarSource(fieldRef: .init(fieldPath: "metadata.name"))),
                        EnvVar(name: "POD_NAMESPACE", valueFrom: EnvVarSource(fieldRef: .init(fieldPath: "metadata.namespace"))),
                        EnvVar(name: "POD_IP", valueFrom: EnvVarSource(fieldRef: .init(fieldPath: "status.podIP"))),
                    ],
                    mounts: [
                        VolumeMount(name: "shared", mountPath: "/shared"),
                        VolumeMount(name: "settings", mountPath: "/etc/settings"),
                    ],
                    volumes: [
                        Volume(name: "shared", persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: "shared")),
                        Volume(name: "settings", configMap: ConfigMapVolumeSource(name: "settings")),
                    ],
                    hostname: name, subdomain: "ring")
                pod.spec?.containers[0].workingDir = "/shared"
                _ = try await env.create(pod)
            }
            var addresses: [String: String] = [:]
            for name in ["w-0", "w-1"] {
                let pod = try await env.waitForPod(name) { $0.phase == "Succeeded" }
                #expect(pod?.mainState?.terminated?.message == "finished \(name)")
                addresses[name] = pod?.status?.podIP
            }
            #expect(addresses["w-0"] != nil && addresses["w-0"] != addresses["w-1"])

            let out = claimDirectory.appendingPathComponent("out")
            let environment = try String(contentsOf: out.appendingPathComponent("env-w-0"), encoding: .utf8)
                .split(separator: "\n").reduce(into: [String: String]()) { result, line in
                    let parts = line.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
                }
            #expect(environment["TOKEN"] == "s3cret")
            #expect(environment["MODE"] == "fast")
            #expect(environment["POD_NAME"] == "w-0")
            #expect(environment["POD_NAMESPACE"] == "default")
            #expect(environment["POD_IP"] == addresses["w-0"])
            #expect(environment["OUT"] == out.path)
            // No administrator's kubeconfig: the Pod reaches the API server with its ServiceAccount token.
            #expect(environment["KUBECONFIG"] == nil)
            #expect(environment["KUBERNETES_SERVICE_HOST"] == "127.0.0.1")
            #expect(environment["RINGMASTER_HOSTS_FILE"] == env.cluster.dataDirectory.appendingPathComponent("hosts/default").path)
            #expect(try String(contentsOf: out.appendingPathComponent("config-w-1"), encoding: .utf8) == "from-configmap")
            #expect(try String(contentsOf: out.appendingPathComponent("pwd-w-1"), encoding: .utf8) == claimDirectory.path + "\n")

            let hosts = try String(contentsOf: out.appendingPathComponent("hosts-w-1"), encoding: .utf8)
            for name in ["w-0", "w-1"] {
                let line = "\(addresses[name] ?? "?") \(name).ring.default.svc.cluster.local \(name).ring.default.svc \(name).ring \(name)"
                #expect(hosts.contains(line + "\n"), "hosts file:\n\(hosts)")
            }
            // Finished pods leave the hosts file.
            try await NodeAgentCluster.eventually("the hosts file to drop finished pods") {
                let current = try String(contentsOf: env.cluster.dataDirectory.appendingPathComponent("hosts/default"), encoding: .utf8)
                return !current.contains("svc.cluster.local")
            }

            try await env.client.persistentVolumeClaims.delete("shared", in: "default")
            try await NodeAgentCluster.eventually("the claim's directory to be removed") {
                !FileManager.default.fileExists(atPath: claimDirectory.path)
            }
        }
    }

    @Test func aMissingSecretHoldsTheContainerUntilItExists() async throws {
        try await NodeAgentCluster.run { env in
            let pod = NodeAgentCluster.shellPod(
                "needs-secret", script: "echo \"$TOKEN\"",
                env: [EnvVar(name: "TOKEN", valueFrom: EnvVarSource(secretKeyRef: .init(name: "late", key: "token")))])
            _ = try await env.create(pod)
            let waiting = try await env.waitForPod("needs-secret") {
                $0.mainState?.waiting?.reason == "CreateContainerConfigError"
            }
            #expect(waiting?.mainState?.waiting?.message == "secret \"late\" not found")
            #expect(waiting?.phase == "Pending")
            _ = try await env.client.secrets.create(
                Secret(metadata: ObjectMeta(name: "late"), data: ["token": Data("arrived".utf8).base64EncodedString()]), in: "default")
            try await env.waitForPod("needs-secret") { $0.phase == "Succeeded" }
            #expect(try await env.client.pods.logs("needs-secret", in: "default") == "arrived\n")
        }
    }
}
