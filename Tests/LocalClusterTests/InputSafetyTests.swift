import AsyncHTTPClient
import Foundation
import KubeClient
import Logging
import NIOCore
import RingmasterTesting
import Testing
@testable import LocalCluster

/// Bad input over real HTTP: names that would leave the data directory,
/// bodies a browser can send cross-site, and the modes of what the cluster
/// writes. Each cluster lives in a parent directory of its own, so "nothing
/// outside the data directory changed" is checked on the whole parent.
@Suite("Input safety", .serialized)
struct InputSafetyTests {
    /// A server (and, with `agent`, a node agent) whose data directory is
    /// `<parent>/data`; `body` gets the parent and the test client.
    static func withCluster(
        agent: Bool = false, prepare: (URL) throws -> Void = { _ in },
        _ body: (_ parent: URL, _ data: URL, _ api: APITestClient, _ server: LocalAPIServer) async throws -> Void
    ) async throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-safety-\(UUID().uuidString.prefix(8))")
        let data = parent.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: parent) }
        try prepare(data)
        let server = LocalAPIServer()
        try await server.start(dataDirectory: data)
        let kubeconfig = data.appendingPathComponent("kubeconfig")
        try server.writeKubeconfig(to: kubeconfig)
        let config = try KubeConfig.load(kubeconfigPath: kubeconfig.path)
        let api = try APITestClient(config: config)
        do {
            if agent {
                let client = try KubernetesClient(config: config, options: ClientOptions(qps: nil))
                let configuration = NodeAgentConfiguration(
                    dataDirectory: data,
                    imageMapping: ImageMapping(rules: [ImageMapping.Rule(repositoryName: "shell", executable: "/bin/sh")]),
                    initialRestartBackoff: .milliseconds(200), maximumRestartBackoff: .seconds(1),
                    retryInterval: .milliseconds(500), shutdownGracePeriod: .seconds(2))
                var logger = Logger(label: "test.input-safety")
                logger.logLevel = .warning
                let node = NodeAgent(configuration: configuration, client: client, logger: logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await node.run() }
                    defer { group.cancelAll() }
                    try await body(parent, data, api, server)
                }
            } else {
                try await body(parent, data, api, server)
            }
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    /// Every path below `parent` except those inside `data`, with its size (files) or -1 (directories).
    static func snapshot(_ parent: URL, excluding data: URL) -> [String: Int] {
        var result: [String: Int] = [:]
        let enumerator = FileManager.default.enumerator(at: parent, includingPropertiesForKeys: [.fileSizeKey, .isDirectoryKey])
        while let url = enumerator?.nextObject() as? URL {
            let path = url.standardizedFileURL.path
            if path == data.standardizedFileURL.path {
                enumerator?.skipDescendants()
                continue
            }
            let values = try? url.resourceValues(forKeys: [.fileSizeKey, .isDirectoryKey])
            result[path] = values?.isDirectory == true ? -1 : (values?.fileSize ?? 0)
        }
        return result
    }

    static func mode(_ url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
    }

    static func pod(_ name: String, container: String = "main", volumes: [JSONValue] = [], mounts: [JSONValue] = [],
                    hostname: String? = nil, subdomain: String? = nil, script: String = "true") -> JSONValue {
        var spec: [String: JSONValue] = [
            "restartPolicy": .string("Never"),
            "containers": .array([.object([
                "name": .string(container), "image": .string(NodeAgentCluster.shellImage),
                "args": .array([.string("-c"), .string(script)]), "volumeMounts": .array(mounts),
            ])]),
            "volumes": .array(volumes),
        ]
        if let hostname { spec["hostname"] = .string(hostname) }
        if let subdomain { spec["subdomain"] = .string(subdomain) }
        return .object(["apiVersion": .string("v1"), "kind": .string("Pod"),
                        "metadata": .object(["name": .string(name)]), "spec": .object(spec)])
    }

    // MARK: Traversal names

    @Test func traversalNamesAreRefusedWithTheFieldAndTouchNothingOutsideTheDataDirectory() async throws {
        try await Self.withCluster(agent: true) { parent, data, api, _ in
            // Something the old node agent would have deleted recursively (a
            // Secret volume's directory is replaced on each start).
            let keep = parent.appendingPathComponent("keep")
            try FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true)
            try Data("precious".utf8).write(to: keep.appendingPathComponent("file"))
            #expect(try await api.post("/api/v1/namespaces/default/secrets", .object([
                "metadata": .object(["name": .string("s")]), "stringData": .object(["k": .string("v")]),
            ])).status == 201)
            let before = Self.snapshot(parent, excluding: data)

            // Pod directory: <data>/pods/default/<pod>; five steps up is the parent.
            let up = "../../../../../"
            let cases: [(pod: JSONValue, field: String)] = [
                (Self.pod("vol", volumes: [.object(["name": .string(up + "keep"), "secret": .object(["secretName": .string("s")])])]),
                 "spec.volumes[0].name"),
                (Self.pod("ctr", container: "../../../../escaped"), "spec.containers[0].name"),
                (Self.pod("sub", volumes: [.object(["name": .string("scratch"), "emptyDir": .object([:])])],
                          mounts: [.object(["name": .string("scratch"), "mountPath": .string("/s"), "subPath": .string(up + "keep")])]),
                 "spec.containers[0].volumeMounts.subPath"),
                (Self.pod("host", hostname: "evil\n127.0.0.1 kubernetes", subdomain: "ring"), "spec.hostname"),
                (Self.pod("dom", hostname: "w", subdomain: "../../keep"), "spec.subdomain"),
                (Self.pod("hp", volumes: [.object(["name": .string("h"), "hostPath": .object(["path": .string("/tmp/../etc")])])]),
                 "spec.volumes[0].hostPath.path"),
            ]
            for (pod, field) in cases {
                let answer = try await api.post("/api/v1/namespaces/default/pods", pod)
                let name = pod["metadata"]?["name"]?.stringValue ?? ""
                #expect(answer.status == 422, "\(name): \(answer.text)")
                #expect(answer.body["kind"]?.stringValue == "Status")
                #expect(answer.body["reason"]?.stringValue == "Invalid")
                #expect(answer.body["message"]?.stringValue?.hasPrefix("Pod \"\(name)\" is invalid: \(field): Invalid value: ") == true,
                        "\(answer.body["message"] ?? .null)")
                #expect(answer.body["details"]?["causes"]?.arrayValue?.contains { $0["field"]?.stringValue == field } == true)
                #expect(try await api.get("/api/v1/namespaces/default/pods/\(name)").status == 404)
            }
            // A secret whose key would escape its volume, and a PVC named like a path.
            let secret = try await api.post("/api/v1/namespaces/default/secrets", .object([
                "metadata": .object(["name": .string("t")]), "stringData": .object([up + "keep": .string("x")]),
            ]))
            #expect(secret.status == 422)
            #expect(secret.body["details"]?["causes"]?.arrayValue?.first?["field"]?.stringValue == "data[\(up)keep]")
            let claim = try await api.post("/api/v1/namespaces/default/persistentvolumeclaims", .object([
                "metadata": .object(["name": .string("../../keep")]), "spec": .object([:]),
            ]))
            #expect(claim.status == 422)
            #expect(claim.body["details"]?["causes"]?.arrayValue?.first?["field"]?.stringValue == "metadata.name")
            // A write into a namespace that can never exist.
            let namespaced = try await api.post("/api/v1/namespaces/..%2F..%2Fkeep/configmaps", TestObjects.configMap("c"))
            #expect(namespaced.status == 422 || namespaced.status == 404, "\(namespaced.text)")

            // The node agent is alive (a valid pod runs to completion), and
            // nothing outside the data directory changed.
            #expect(try await api.post("/api/v1/namespaces/default/pods", Self.pod("good")).status == 201)
            try await NodeAgentCluster.eventually("the valid pod to succeed") {
                try await api.get("/api/v1/namespaces/default/pods/good").body["status"]?["phase"]?.stringValue == "Succeeded"
            }
            #expect(Self.snapshot(parent, excluding: data) == before)
            #expect(try String(contentsOf: keep.appendingPathComponent("file"), encoding: .utf8) == "precious")
        }
    }

    @Test func kubectlShowsTheInvalidFieldAsAgainstARealCluster() async throws {
        let cluster = try await LocalClusterFixture.start()
        let manifest = """
            apiVersion: v1
            kind: Pod
            metadata: {name: x}
            spec: {containers: [{name: ../x, image: busybox}]}
            """
        let result = try await KubectlAcceptanceTests.kubectl(cluster, ["apply", "-f", "-"], input: manifest, allowFailure: true)
        #expect(result.status != 0)
        #expect(result.combinedOutput.contains(
            "The Pod \"x\" is invalid: spec.containers[0].name: Invalid value: \"../x\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'"),
            "\(result.combinedOutput)")
        try await cluster.shutdown()
    }

    @Test func updatesAreValidatedToo() async throws {
        try await Self.withCluster { _, _, api, _ in
            let created = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("c", data: ["a": "1"]))
            #expect(created.status == 201)
            let patched = try await api.mergePatch("/api/v1/namespaces/default/configmaps/c", .object(["data": .object(["../a": .string("2")])]))
            #expect(patched.status == 422)
            #expect(patched.body["details"]?["causes"]?.arrayValue?.first?["field"]?.stringValue == "data[../a]")
            var replaced = created.body
            replaced["metadata"]?["labels"] = .object(["bad key": .string("v")])
            let put = try await api.put("/api/v1/namespaces/default/configmaps/c", replaced)
            #expect(put.status == 422)
            #expect(put.body["details"]?["causes"]?.arrayValue?.first?["field"]?.stringValue == "metadata.labels")
            let stored = try await api.get("/api/v1/namespaces/default/configmaps/c")
            #expect(stored.body["data"] == .object(["a": .string("1")]))
            #expect(stored.body["metadata"]?["resourceVersion"] == created.body["metadata"]?["resourceVersion"])
        }
    }

    // MARK: Media types

    @Test func onlyKubernetesMediaTypesAreRead() async throws {
        try await Self.withCluster { _, _, api, server in
            let body = String(decoding: JSONCoding.encode(TestObjects.configMap("cross-site")), as: UTF8.self)
            for contentType in ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
                let answer = try await api.request(.POST, "/api/v1/namespaces/default/configmaps", contentType: contentType, rawBody: body)
                #expect(answer.status == 415, "\(contentType): \(answer.text)")
                #expect(answer.body["reason"]?.stringValue == "UnsupportedMediaType")
                #expect(answer.body["message"]?.stringValue == "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf")
            }
            // No Content-Type at all.
            var request = api.makeRequest("/api/v1/namespaces/default/configmaps")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 415)
            _ = try await response.body.collect(upTo: 1 << 20)
            #expect(try await api.get("/api/v1/namespaces/default/configmaps/cross-site").status == 404)

            // JSON (with parameters) and YAML are read; a patch needs a patch type.
            #expect(try await api.request(.POST, "/api/v1/namespaces/default/configmaps", contentType: "application/json; charset=utf-8",
                                          rawBody: body).status == 201)
            let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-yaml}\ndata: {a: b}\n"
            #expect(try await api.request(.POST, "/api/v1/namespaces/default/configmaps", contentType: "application/yaml", rawBody: yaml).status == 201)
            let patch = try await api.request(.PATCH, "/api/v1/namespaces/default/configmaps/from-yaml", contentType: "text/plain",
                                              rawBody: #"{"data":{"a":"changed"}}"#)
            #expect(patch.status == 415)
            #expect(patch.body["message"]?.stringValue == "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml")
            #expect(try await api.get("/api/v1/namespaces/default/configmaps/from-yaml").body["data"]?["a"]?.stringValue == "b")
            let put = try await api.request(.PUT, "/api/v1/namespaces/default/configmaps/from-yaml", contentType: "text/plain", rawBody: yaml)
            #expect(put.status == 415)
        }
    }

    // MARK: File modes

    @Test func theDataDirectoryAndDatabaseAreTheUsersAlone() async throws {
        try await Self.withCluster(prepare: { data in
            // A data directory left world-readable by an earlier version.
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            #expect(try Self.mode(data) == 0o755)
        }) { _, data, api, server in
            #expect(try await api.post("/api/v1/namespaces/default/secrets", .object([
                "metadata": .object(["name": .string("token")]), "stringData": .object(["k": .string("v")]),
            ])).status == 201)
            let kubeconfig = data.appendingPathComponent("kubeconfig")
            try server.writeKubeconfig(to: kubeconfig)
            #expect(try Self.mode(data) == 0o700)
            let database = data.appendingPathComponent("cluster.sqlite")
            #expect(try Self.mode(database) == 0o600)
            for suffix in ["-wal", "-shm"] {
                let file = URL(fileURLWithPath: database.path + suffix)
                #expect(FileManager.default.fileExists(atPath: file.path), "\(file.lastPathComponent) missing")
                #expect(try Self.mode(file) == 0o600, "\(file.lastPathComponent)")
            }
            #expect(try Self.mode(kubeconfig) == 0o600)
        }
    }

    @Test func podFilesAreTheUsersAlone() async throws {
        try await NodeAgentCluster.run { env in
            _ = try await env.client.secrets.create(
                Secret(metadata: ObjectMeta(name: "auth"), data: ["token": Data("s3cret".utf8).base64EncodedString()]), in: "default")
            _ = try await env.client.configMaps.create(ConfigMap(metadata: ObjectMeta(name: "settings"), data: ["mode": "fast"]), in: "default")
            let pod = NodeAgentCluster.shellPod(
                "files", script: "echo hello",
                mounts: [VolumeMount(name: "auth", mountPath: "/auth"), VolumeMount(name: "settings", mountPath: "/settings"),
                         VolumeMount(name: "readable", mountPath: "/readable")],
                volumes: [Volume(name: "auth", secret: SecretVolumeSource(secretName: "auth")),
                          Volume(name: "settings", configMap: ConfigMapVolumeSource(name: "settings")),
                          Volume(name: "readable", secret: SecretVolumeSource(secretName: "auth", defaultMode: 0o440))])
            _ = try await env.create(pod)
            try await env.waitForPod("files") { $0.phase == "Succeeded" }
            let layout = Layout(dataDirectory: env.cluster.dataDirectory)
            let podDirectory = try layout.podDirectory(namespace: "default", name: "files")
            #expect(try Self.mode(env.cluster.dataDirectory) == 0o700)
            #expect(try Self.mode(podDirectory) == 0o700)
            #expect(try Self.mode(try layout.containerLog(namespace: "default", pod: "files", container: "main")) == 0o600)
            let volumes = podDirectory.appendingPathComponent("volumes")
            #expect(try Self.mode(volumes.appendingPathComponent("auth/token")) == 0o600)
            #expect(try Self.mode(volumes.appendingPathComponent("readable/token")) == 0o440)
            #expect(try Self.mode(volumes.appendingPathComponent("settings/mode")) == 0o644)
        }
    }
}
