import Foundation
import KubeClient
import Testing
@testable import LocalCluster

/// The node agent's own refusal of names that would leave the data
/// directory, for objects that reached it without the API server's checks.
@Suite struct ConfinedPathTests {
    static let base = URL(fileURLWithPath: "/var/lib/ringmaster")

    @Test(arguments: ["", ".", "..", "a/b", "../x", "x\0y"])
    func unsafeComponentsAreRefused(_ name: String) {
        #expect(throws: NodeAgentError.self) { try ConfinedPath.component(name, role: "volume name") }
        #expect(throws: NodeAgentError.self) { try ConfinedPath.join(Self.base, [("pods", "directory"), (name, "pod name")]) }
    }

    @Test func safeComponentsJoin() throws {
        let url = try ConfinedPath.join(Self.base, [("default", "namespace"), ("worker-0", "pod name")])
        #expect(url.path == "/var/lib/ringmaster/default/worker-0")
        #expect(try ConfinedPath.component("..data", role: "key") == "..data")
    }

    @Test func layoutRefusesEveryUnsafeName() {
        let layout = Layout(dataDirectory: Self.base)
        #expect(throws: NodeAgentError.self) { try layout.podDirectory(namespace: "..", name: "p") }
        #expect(throws: NodeAgentError.self) { try layout.podDirectory(namespace: "default", name: "../../etc") }
        #expect(throws: NodeAgentError.self) { try layout.containerLog(namespace: "default", pod: "p", container: "../../../x") }
        #expect(throws: NodeAgentError.self) { try layout.volumeDirectory(namespace: "default", claim: "..") }
        #expect((try? layout.containerLog(namespace: "default", pod: "p", container: "main"))?.path == "/var/lib/ringmaster/pods/default/p/main.log")
    }

    @Test(arguments: [
        ("data", "/v/data"), ("./a//b/", "/v/a/b"), (".", "/v"),
    ])
    func subPathsStayInsideTheirVolume(_ subPath: String, _ expected: String) throws {
        #expect(try ConfinedPath.join("/v", relative: subPath, role: "subPath") == expected)
    }

    @Test(arguments: ["../x", "a/../../x", "/etc", "a/.."])
    func subPathsThatLeaveAreRefused(_ subPath: String) {
        let error = #expect(throws: NodeAgentError.self) { try ConfinedPath.join("/v", relative: subPath, role: "subPath") }
        #expect(error?.code == .containerConfig)
    }

    @Test func aLaunchWithAnEscapingSubPathIsAContainerConfigError() {
        let pod = Pod(
            metadata: ObjectMeta(name: "p", namespace: "default"),
            spec: PodSpec(containers: [Container(
                name: "main", image: "registry/shell:1", volumeMounts: [VolumeMount(name: "data", mountPath: "/d", subPath: "../../..")])]))
        let builder = ContainerLaunchBuilder(
            pod: pod, podIP: "127.0.0.7", hostIP: "127.0.0.1", nodeName: "local", volumeDirectories: ["data": "/v/data"],
            secrets: [:], configMaps: [:], hostsFile: "/h", inheritedPath: "/bin")
        let mapping = ImageMapping(rules: [ImageMapping.Rule(repositoryName: "shell", executable: "/bin/sh")])
        let error = #expect(throws: NodeAgentError.self) {
            try builder.launch(pod.spec!.containers[0], mapping: mapping, terminationMessagePath: "/t")
        }
        #expect(error?.code == .containerConfig)
    }

    @Test func volumesWithEscapingNamesWriteAndRemoveNothing() throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-confined-\(UUID().uuidString.prefix(8))")
        let data = parent.appendingPathComponent("data")
        let keep = parent.appendingPathComponent("keep")
        try FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: parent) }
        try Data("precious".utf8).write(to: keep.appendingPathComponent("file"))
        let secret = Secret(metadata: ObjectMeta(name: "s"), data: ["k": Data("v".utf8).base64EncodedString()])
        let volumes = PodVolumes(layout: Layout(dataDirectory: data))
        let hostile: [Volume] = [
            Volume(name: "../../../../../keep", secret: SecretVolumeSource(secretName: "s")),
            Volume(name: "ok", persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: "../../keep")),
            Volume(name: "h", other: ["hostPath": .object(["path": .string("relative/path")])]),
        ]
        for volume in hostile {
            let pod = Pod(metadata: ObjectMeta(name: "p", namespace: "default"),
                          spec: PodSpec(containers: [Container(name: "main", image: "i")], volumes: [volume]))
            let error = #expect(throws: NodeAgentError.self) { try volumes.prepare(pod: pod, secrets: ["s": secret], configMaps: [:]) }
            #expect(error?.code == .containerConfig, "\(volume.name)")
        }
        // A Secret key that is not a file name, in a pod the API server never checked.
        let pod = Pod(metadata: ObjectMeta(name: "p", namespace: "default"),
                      spec: PodSpec(containers: [Container(name: "main", image: "i")],
                                    volumes: [Volume(name: "s", secret: SecretVolumeSource(secretName: "s"))]))
        let escaping = Secret(metadata: ObjectMeta(name: "s"), data: ["../../../../../keep/file": Data("x".utf8).base64EncodedString()])
        #expect(throws: NodeAgentError.self) { try volumes.prepare(pod: pod, secrets: ["s": escaping], configMaps: [:]) }
        #expect(try String(contentsOf: keep.appendingPathComponent("file"), encoding: .utf8) == "precious")
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path).sorted() == ["data", "keep"]
            || FileManager.default.contentsOfDirectory(atPath: parent.path) == ["keep"])
    }

    @Test func hostsEntriesMustBeLabels() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-hosts-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = HostsFile(directory: directory)
        #expect(throws: NodeAgentError.self) { try file.path(for: "../x") }
        let forged = HostsEntry(address: "127.0.0.9", hostname: "w\n10.0.0.1 kubernetes", subdomain: "s", namespace: "default")
        #expect(throws: NodeAgentError.self) { try file.write([forged], namespace: "default") }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("default").path))
        try file.write([HostsEntry(address: "127.0.0.9", hostname: "w-0", subdomain: "w", namespace: "default")], namespace: "default")
        #expect(try String(contentsOf: try file.path(for: "default"), encoding: .utf8).contains("127.0.0.9 w-0.w.default.svc.cluster.local"))
    }
}
