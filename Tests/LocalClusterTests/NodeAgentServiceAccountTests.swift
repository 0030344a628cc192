import Foundation
import KubeClient
import RingmasterTesting
import Testing
@testable import LocalCluster

/// The ServiceAccount token the node agent projects into each pod, seen
/// from inside the pod's own process.
@Suite("Node agent: ServiceAccount token projection")
struct NodeAgentServiceAccountTests {
    static let root = KubeConfig.serviceAccountRoot
    static var canBindMount: Bool { PrivateMountNamespace.availability == .available }

    /// A script that prints what a pod sees of its ServiceAccount mount and API server.
    static let probeScript = """
        echo "namespace=$(cat \(root)/namespace 2>/dev/null || echo absent)"
        echo "token=$(cat \(root)/token 2>/dev/null || echo absent)"
        echo "ca=$(test -f \(root)/ca.crt && echo present || echo absent)"
        echo "host=$KUBERNETES_SERVICE_HOST port=$KUBERNETES_SERVICE_PORT"
        """

    static func value(_ key: String, in log: String) -> String? {
        log.split(separator: "\n").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    func runToCompletion(_ pod: Pod, in cluster: NodeAgentCluster) async throws -> String {
        _ = try await cluster.create(pod)
        let done = try await cluster.waitForPod(pod.metadata.name!) { $0.phase == "Succeeded" || $0.phase == "Failed" }
        #expect(done?.phase == "Succeeded", "\(String(describing: done?.status))")
        return try await cluster.client.pods.logs(pod.metadata.name!, in: "default")
    }

    @Test(.enabled(if: canBindMount, "needs a private mount namespace (root)"))
    func aPodReadsItsOwnTokenAndNamespaceAtTheStandardPath() async throws {
        try await NodeAgentCluster.run { cluster in
            let log = try await runToCompletion(NodeAgentCluster.shellPod("reader", script: Self.probeScript), in: cluster)
            #expect(Self.value("namespace", in: log) == "default")
            #expect(Self.value("ca", in: log) == "present")
            let server = cluster.cluster.baseURL
            #expect(Self.value("host", in: log) == "\(server.host!) port=\(server.port!)")

            // The token is one the server accepts, for the pod's ServiceAccount and bound to this pod.
            let token = try #require(Self.value("token", in: log))
            let pod = try await cluster.client.pods.get("reader", in: "default")
            let user = try #require(cluster.cluster.server.serviceAccountTokens).validate(token: token)
            #expect(user.name == "system:serviceaccount:default:default")
            #expect(user.extra[ServiceAccountTokenAuthenticator.podUIDKey] == [pod.metadata.uid ?? "?"])

            // Written private on the host, and mounted for the pod only.
            let directory = try Layout(dataDirectory: cluster.cluster.dataDirectory).serviceAccountDirectory(namespace: "default", pod: "reader")
            for file in ["token", "ca.crt", "namespace"] {
                let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(file).path)
                #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(file)")
            }
            let directoryAttributes = try FileManager.default.attributesOfItem(atPath: directory.path)
            #expect((directoryAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
            #expect(!FileManager.default.fileExists(atPath: Self.root + "/token"), "the token leaked into the host's mount namespace")
        }
    }

    @Test(.enabled(if: canBindMount, "needs a private mount namespace (root)"))
    func automountFalseOnThePodOrItsServiceAccountGivesNoToken() async throws {
        try await NodeAgentCluster.run { cluster in
            var optOut = NodeAgentCluster.shellPod("opt-out", script: Self.probeScript)
            optOut.spec?.automountServiceAccountToken = false
            let log = try await runToCompletion(optOut, in: cluster)
            #expect(Self.value("token", in: log) == "absent")
            #expect(Self.value("host", in: log)?.hasPrefix("127.0.0.1 port=") == true)  // the API server is still named

            let api = try APITestClient(cluster.cluster)
            let account = JSONValue.object(["metadata": .object(["name": "quiet"]), "automountServiceAccountToken": false])
            #expect(try await api.post("/api/v1/namespaces/default/serviceaccounts", account).status == 201)
            var quiet = NodeAgentCluster.shellPod("quiet", script: Self.probeScript)
            quiet.spec?.serviceAccountName = "quiet"
            #expect(Self.value("token", in: try await runToCompletion(quiet, in: cluster)) == "absent")

            // The pod's own setting wins over its ServiceAccount's.
            var insists = NodeAgentCluster.shellPod("insists", script: Self.probeScript)
            insists.spec?.serviceAccountName = "quiet"
            insists.spec?.automountServiceAccountToken = true
            let token = try #require(Self.value("token", in: try await runToCompletion(insists, in: cluster)))
            #expect(try #require(cluster.cluster.server.serviceAccountTokens).validate(token: token).name
                == "system:serviceaccount:default:quiet")
        }
    }

    @Test func aMissingServiceAccountHoldsThePodUntilItExists() async throws {
        try await NodeAgentCluster.run { cluster in
            var pod = NodeAgentCluster.shellPod("waits", script: "echo started")
            pod.spec?.serviceAccountName = "late"
            _ = try await cluster.create(pod)
            let waiting = try await cluster.waitForPod("waits") {
                $0.mainState?.waiting?.reason == "CreateContainerConfigError"
            }
            #expect(waiting?.mainState?.waiting?.message == "error looking up service account default/late: serviceaccount \"late\" not found")
            let api = try APITestClient(cluster.cluster)
            #expect(try await api.post("/api/v1/namespaces/default/serviceaccounts", .object(["metadata": .object(["name": "late"])])).status == 201)
            let done = try await cluster.waitForPod("waits") { $0.phase == "Succeeded" }
            #expect(done != nil)
        }
    }

    @Test func launchesBindMountTheTokenOrRewriteItsPath() throws {
        let pod = Pod(
            metadata: ObjectMeta(name: "w-0", namespace: "ml", uid: "uid-1"),
            spec: PodSpec(containers: [Container(
                name: "main", image: "shell", args: ["-c", "\(Self.root)/token"],
                env: [EnvVar(name: "TOKEN_FILE", value: "\(Self.root)/token"), EnvVar(name: "KUBERNETES_SERVICE_PORT", value: "8443")])]))
        let mapping = ImageMapping(rules: [ImageMapping.Rule(repositoryName: "shell", executable: "/bin/sh")])
        func launch(canBindMount: Bool, directory: String? = "/data/pods/ml/w-0/serviceaccount") throws -> ContainerLaunch {
            try ContainerLaunchBuilder(
                pod: pod, podIP: "127.0.0.7", hostIP: "127.0.0.1", nodeName: "local", volumeDirectories: [:],
                secrets: [:], configMaps: [:], hostsFile: "/h", inheritedPath: "/bin",
                apiServer: URL(string: "https://127.0.0.1:6443"), serviceAccountDirectory: directory, canBindMount: canBindMount)
                .launch(pod.spec!.containers[0], mapping: mapping, terminationMessagePath: "/t")
        }
        let mounted = try launch(canBindMount: true)
        #expect(mounted.bindMounts == [.init(source: "/data/pods/ml/w-0/serviceaccount", target: Self.root)])
        #expect(mounted.environment["TOKEN_FILE"] == "\(Self.root)/token")
        #expect(mounted.environment["KUBERNETES_SERVICE_HOST"] == "127.0.0.1")
        #expect(mounted.environment["KUBERNETES_SERVICE_PORT"] == "8443")  // the container's own value wins

        let rewritten = try launch(canBindMount: false)
        #expect(rewritten.bindMounts.isEmpty)
        #expect(rewritten.environment["TOKEN_FILE"] == "/data/pods/ml/w-0/serviceaccount/token")
        #expect(rewritten.arguments == ["/bin/sh", "-c", "/data/pods/ml/w-0/serviceaccount/token"])

        let none = try launch(canBindMount: true, directory: nil)
        #expect(none.bindMounts.isEmpty)
        #expect(none.environment["TOKEN_FILE"] == "\(Self.root)/token")
    }
}
