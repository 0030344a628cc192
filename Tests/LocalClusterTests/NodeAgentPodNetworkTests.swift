import Foundation
import KubeClient
import Testing
@testable import LocalCluster

/// Pods in namespaces of their own on the Pod network: real processes (the
/// host's python3, through an image mapped to the host), real network
/// namespaces, veth pairs and a bridge, real bind mounts.
@Suite(.serialized) struct NodeAgentPodNetworkTests {
    static let pythonImage = "example.com/library/python:3.11"

    static func pythonPod(
        _ name: String, hostname: String? = nil, subdomain: String? = nil, script: String,
        mounts: [VolumeMount]? = nil, volumes: [Volume]? = nil
    ) -> Pod {
        Pod(
            metadata: ObjectMeta(name: name, namespace: "default"),
            spec: PodSpec(
                containers: [Container(
                    name: "main", image: pythonImage, command: ["python3", "-u", "-c", script], volumeMounts: mounts)],
                restartPolicy: "Never", hostname: hostname, subdomain: subdomain, volumes: volumes))
    }

    /// Both servers bind 0.0.0.0:29500, which two processes sharing a
    /// network could not; the client finds each by its cluster name through
    /// the ordinary resolver.
    static let server = """
        import socket
        s = socket.socket()
        s.bind(("0.0.0.0", 29500))
        s.listen()
        c, _ = s.accept()
        c.sendall(socket.gethostname().encode())
        c.close()
        """

    static let client = """
        import socket, time
        print(socket.gethostname())
        for name in ("a.ring", "b.ring.default.svc.cluster.local"):
            deadline = time.time() + 120
            while True:
                try:
                    address = socket.gethostbyname(name)
                    with socket.create_connection((address, 29500), timeout=5) as c:
                        print(name, c.recv(100).decode())
                        break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.2)
        """

    @Test func twoPodsListenOnOnePortAndReachEachOtherByName() async throws {
        var bridge = ""
        var prefix = ""
        try await NodeAgentCluster.run(podNetwork: true) { env in
            let network = try #require(env.cluster.podNetwork)
            bridge = network.bridge
            prefix = "rm\(network.index)-"
            let bridgeAddress = { (try? String(contentsOfFile: "/sys/class/net/\(network.bridge)/address", encoding: .utf8)) ?? "" }
            #expect(bridgeAddress() == network.bridgeMACAddress + "\n")
            _ = try await env.create(Self.pythonPod("server-a", hostname: "a", subdomain: "ring", script: Self.server))
            _ = try await env.create(Self.pythonPod("server-b", hostname: "b", subdomain: "ring", script: Self.server))
            _ = try await env.create(Self.pythonPod("client", script: Self.client))
            var addresses: Set<String> = []
            for name in ["server-a", "server-b", "client"] {
                let pod = try await env.waitForPod(name, timeout: .seconds(180)) { $0.phase == "Succeeded" || $0.phase == "Failed" }
                #expect(pod?.phase == "Succeeded", "\(name): \(String(describing: pod?.status))")
                let address = try #require(pod?.status?.podIP)
                #expect(address.hasPrefix("10.24"), "\(name) has \(address), not an address of the Pod network")
                addresses.insert(address)
            }
            #expect(addresses.count == 3)
            #expect(try await env.client.pods.logs("client", in: "default") == "client\na.ring a\nb.ring.default.svc.cluster.local b\n")
            // A finished Pod's namespace is gone with it.
            try await NodeAgentCluster.eventually("the finished Pods' network namespaces removed") {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
                return !names.contains { $0.hasPrefix(prefix) }
            }
            // The bridge kept its address while Pods' veths came and went, so
            // the gateway's neighbour entry in a remaining Pod stays right.
            #expect(bridgeAddress() == network.bridgeMACAddress + "\n")
        }
        #expect(!bridge.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(bridge)"), "the bridge outlived its cluster")
    }

    static let inside = """
        import json, os, socket, ssl, urllib.request
        with open("/mnt/written-in-pod", "w") as f:
            f.write("scratch is writable")
        print(open("/mnt/written-in-pod").read())
        try:
            open("/mnt/settings/x", "w")
            print("settings is writable")
        except OSError:
            print("settings is read-only")
        print(open("/etc/hosts").read().count("files"))
        root = "/var/run/secrets/kubernetes.io/serviceaccount"
        context = ssl.create_default_context(cafile=root + "/ca.crt")
        url = "https://%s:%s/api" % (os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])
        request = urllib.request.Request(url, headers={"Authorization": "Bearer " + open(root + "/token").read()})
        print(json.load(urllib.request.urlopen(request, context=context))["kind"])
        print(socket.gethostname(), os.getcwd())
        # No DNS server: the resolver asks the Pod's own loopback, and an address
        # /etc/hosts does not know is refused there rather than waited for.
        print([line for line in open("/etc/resolv.conf") if line.startswith("nameserver")])
        try:
            socket.gethostbyaddr("10.244.3.250")
            print("an unknown address resolved")
        except OSError:
            print("an unknown address is not resolved")
        """

    @Test func volumesTokenAndHostsAreAtTheirPathsAndTheAPIServerAnswers() async throws {
        try await NodeAgentCluster.run(podNetwork: true) { env in
            var pod = Self.pythonPod(
                "files", script: Self.inside,
                mounts: [
                    VolumeMount(name: "scratch", mountPath: "/mnt"),
                    VolumeMount(name: "settings", mountPath: "/mnt/settings", readOnly: true),
                ],
                volumes: [Volume(name: "scratch", emptyDir: .init()), Volume(name: "settings", emptyDir: .init())])
            pod.spec?.containers[0].workingDir = "/mnt/settings"
            _ = try await env.create(pod)
            let done = try await env.waitForPod("files", timeout: .seconds(120)) { $0.phase == "Succeeded" || $0.phase == "Failed" }
            let log = try await env.client.pods.logs("files", in: "default")
            #expect(done?.phase == "Succeeded", "\(log)")
            #expect(log == """
                scratch is writable
                settings is read-only
                1
                APIVersions
                files /mnt/settings
                ['nameserver 127.0.0.1\\n']
                an unknown address is not resolved

                """)
            // The volume was mounted for the Pod only: the host's /mnt never saw the file.
            #expect(!FileManager.default.fileExists(atPath: "/mnt/written-in-pod"))
        }
    }

    @Test func anImageMappedToTheHostNeedsACommand() async throws {
        try await NodeAgentCluster.run(podNetwork: true) { env in
            var pod = Self.pythonPod("no-command", script: "")
            pod.spec?.containers[0].command = nil
            pod.spec?.containers[0].args = ["-c", "print(1)"]
            _ = try await env.create(pod)
            let waiting = try await env.waitForPod("no-command") { $0.mainState?.waiting?.reason == "CreateContainerConfigError" }
            #expect(waiting?.mainState?.waiting?.message?.contains("set command") == true)
        }
    }

    @Test func imageRulesParseAndNameTheirMistakes() throws {
        #expect(try ImageMapping.rule(parsing: "pytorch-ddp=host") == ImageMapping.Rule(repositoryName: "pytorch-ddp", executable: nil))
        #expect(try ImageMapping.rule(parsing: "tool=/usr/bin/tool") == ImageMapping.Rule(repositoryName: "tool", executable: "/usr/bin/tool"))
        #expect(try ImageMapping.rule(parsing: "ringmaster-examples/pytorch-ddp:latest=host").repositoryName == "pytorch-ddp")
        for bad in ["tool=bin/tool", "=host", "tool", "tool="] {
            #expect(throws: NodeAgentError.self, "\(bad)") { try ImageMapping.rule(parsing: bad) }
        }
        let table = ImageMapping.ringmasterWorker(executable: "/opt/ringmaster-worker")
            .adding([ImageMapping.Rule(repositoryName: "pytorch-ddp", executable: nil)])
        #expect(table.rule(for: "ghcr.io/acme/pytorch-ddp:2.13")?.executable == nil)
        #expect(table.rule(for: "ghcr.io/acme/pytorch-ddp:2.13") != nil)
        #expect(table.rule(for: "ringmaster-worker:0.1")?.executable == "/opt/ringmaster-worker")
        #expect(ImageMapping.argumentVector(
            rule: .init(repositoryName: "p", executable: nil), command: ["torchrun", "--nnodes=2"], args: ["train.py"])
            == ["torchrun", "--nnodes=2", "train.py"])
    }

    @Test func twoNetworksTakeDifferentBlocksAndReleaseTheirBridges() throws {
        let first = try PodNetwork.acquire()
        let second = try PodNetwork.acquire()
        #expect(first.index != second.index)
        #expect(first.gateway != second.gateway)
        #expect(FileManager.default.fileExists(atPath: "/sys/class/net/\(first.bridge)"))
        let pool = try first.addressPool()
        #expect(first.firstPodAddress.hasPrefix("10.24"))
        _ = pool
        first.release()
        second.release()
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(first.bridge)"))
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(second.bridge)"))
    }
}
