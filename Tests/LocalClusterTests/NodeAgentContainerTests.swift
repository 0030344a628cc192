import Foundation
import KubeClient
import Testing
@testable import LocalCluster

@Suite("Node agent: container launch and processes")
struct NodeAgentContainerTests {
    let mapping = ImageMapping(rules: [ImageMapping.Rule(repositoryName: "shell", executable: "/bin/sh")])

    func builder(pod: Pod, secrets: [String: Secret] = [:], configMaps: [String: ConfigMap] = [:]) -> ContainerLaunchBuilder {
        ContainerLaunchBuilder(
            pod: pod, podIP: "127.0.0.7", hostIP: "127.0.0.1", nodeName: "local",
            volumeDirectories: ["data": "/var/lib/local/volumes/ml/data", "scratch": "/var/lib/local/pods/ml/p/volumes/scratch"],
            secrets: secrets, configMaps: configMaps, hostsFile: "/var/lib/local/hosts/ml",
            inheritedPath: "/usr/bin:/bin")
    }

    func pod(_ container: Container) -> Pod {
        Pod(
            metadata: ObjectMeta(name: "w-0", namespace: "ml", uid: "uid-1", labels: ["rank": "0"]),
            spec: PodSpec(containers: [container], hostname: "w-0", subdomain: "w"))
    }

    @Test func environmentResolvesReferencesAndRewritesMountPaths() throws {
        let container = Container(
            name: "main", image: "registry/shell:1",
            command: ["/bin/sh"], args: ["-c", "echo", "/data/out", "/datax"],
            env: [
                EnvVar(name: "PLAIN", value: "v"),
                EnvVar(name: "TOKEN", valueFrom: EnvVarSource(secretKeyRef: .init(name: "auth", key: "token"))),
                EnvVar(name: "MODE", valueFrom: EnvVarSource(configMapKeyRef: .init(name: "settings", key: "mode"))),
                EnvVar(name: "OPTIONAL", valueFrom: EnvVarSource(secretKeyRef: .init(name: "none", key: "k", optional: true))),
                EnvVar(name: "POD", valueFrom: EnvVarSource(fieldRef: .init(fieldPath: "metadata.name"))),
                EnvVar(name: "NS", valueFrom: EnvVarSource(fieldRef: .init(fieldPath: "metadata.namespace"))),
                EnvVar(name: "IP", valueFrom: EnvVarSource(fieldRef: .init(fieldPath: "status.podIP"))),
                EnvVar(name: "RANK", valueFrom: EnvVarSource(fieldRef: .init(fieldPath: "metadata.labels['rank']"))),
                EnvVar(name: "CKPT", value: "/data/checkpoints"),
                EnvVar(name: "ROOT", value: "/data"),
                EnvVar(name: "NESTED", value: "/data/scratch/x"),
                EnvVar(name: "SCRATCH", value: "/data/scratch/x"),
                EnvVar(name: "OTHER", value: "/database"),
                EnvVar(name: "ADDR", value: "$(IP):29500 $$(IP)"),
            ],
            volumeMounts: [
                VolumeMount(name: "data", mountPath: "/data/"),
                VolumeMount(name: "scratch", mountPath: "/data/scratch", subPath: "sub"),
            ],
            workingDir: "/data/work")
        let secret = Secret(metadata: ObjectMeta(name: "auth"), data: ["token": Data("s3cret".utf8).base64EncodedString()])
        let configMap = ConfigMap(metadata: ObjectMeta(name: "settings"), data: ["mode": "fast"])
        let launch = try builder(pod: pod(container), secrets: ["auth": secret], configMaps: ["settings": configMap])
            .launch(container, mapping: mapping, terminationMessagePath: "/tmp/msg")
        let env = launch.environment
        #expect(env["PLAIN"] == "v")
        #expect(env["TOKEN"] == "s3cret")
        #expect(env["MODE"] == "fast")
        #expect(env["OPTIONAL"] == nil)
        #expect(env["POD"] == "w-0")
        #expect(env["NS"] == "ml")
        #expect(env["IP"] == "127.0.0.7")
        #expect(env["RANK"] == "0")
        #expect(env["CKPT"] == "/var/lib/local/volumes/ml/data/checkpoints")
        #expect(env["ROOT"] == "/var/lib/local/volumes/ml/data")
        #expect(env["SCRATCH"] == "/var/lib/local/pods/ml/p/volumes/scratch/sub/x")
        #expect(env["OTHER"] == "/database")
        #expect(env["ADDR"] == "127.0.0.7:29500 $(IP)")
        #expect(env["RINGMASTER_HOSTS_FILE"] == "/var/lib/local/hosts/ml")
        #expect(env["KUBECONFIG"] == nil, "no container gets the administrator's kubeconfig")
        #expect(env["RINGMASTER_TERMINATION_MESSAGE_PATH"] == "/tmp/msg")
        #expect(env["PATH"] == "/usr/bin:/bin")
        #expect(env["HOSTNAME"] == "w-0")
        #expect(launch.arguments == ["/bin/sh", "-c", "echo", "/var/lib/local/volumes/ml/data/out", "/datax"])
        #expect(launch.workingDirectory == "/var/lib/local/volumes/ml/data/work")
    }

    @Test func missingReferencesAndUnknownImagesAreClearErrors() {
        let missingSecret = Container(
            name: "main", image: "shell",
            env: [EnvVar(name: "T", valueFrom: EnvVarSource(secretKeyRef: .init(name: "auth", key: "token")))])
        #expect(throws: NodeAgentError(.containerConfig, "secret \"auth\" not found")) {
            try builder(pod: pod(missingSecret)).launch(missingSecret, mapping: mapping, terminationMessagePath: "/m")
        }
        let missingKey = Container(
            name: "main", image: "shell",
            env: [EnvVar(name: "T", valueFrom: EnvVarSource(configMapKeyRef: .init(name: "settings", key: "absent")))])
        #expect(throws: NodeAgentError(.containerConfig, "couldn't find key absent in ConfigMap ml/settings")) {
            try builder(pod: pod(missingKey), configMaps: ["settings": ConfigMap(metadata: ObjectMeta(name: "settings"), data: [:])])
                .launch(missingKey, mapping: mapping, terminationMessagePath: "/m")
        }
        let foreign = Container(name: "main", image: "docker.io/library/python:3.12")
        #expect(throws: NodeAgentError(
            .imageNotAvailable,
            "image \"docker.io/library/python:3.12\" is not available on the local cluster: map it with `ringmaster local up --image python=host` (or =/path/to/executable)"
        )) {
            try builder(pod: pod(foreign)).launch(foreign, mapping: mapping, terminationMessagePath: "/m")
        }
        let unknownMount = Container(name: "main", image: "shell", volumeMounts: [VolumeMount(name: "nope", mountPath: "/x")])
        #expect(throws: NodeAgentError.self) {
            try builder(pod: pod(unknownMount)).launch(unknownMount, mapping: mapping, terminationMessagePath: "/m")
        }
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("node-agent-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func processRunsInItsDirectoryWithItsEnvironmentAndAppendsItsOutput() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("c.log")
        try Data("earlier\n".utf8).write(to: log)
        let process = try LocalProcess.spawn(
            arguments: ["/bin/sh", "-c", "echo out-$GREETING; pwd; echo err >&2; exit 3"],
            environment: ["GREETING": "hello", "PATH": "/usr/bin:/bin"], workingDirectory: directory.path, logFile: log)
        let exit = await process.waitForExit()
        #expect(exit == LocalProcess.Exit(code: 3, signal: nil))
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text == "earlier\nout-hello\n\(directory.path)\nerr\n")
    }

    @Test func terminationSendsSigtermAndEscalatesToSigkillAfterTheGracePeriod() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("c.log")
        let polite = try LocalProcess.spawn(
            arguments: ["/bin/sh", "-c", "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done"],
            environment: ["PATH": "/usr/bin:/bin"], workingDirectory: nil, logFile: log)
        try await waitForText("ready", in: log)
        polite.terminate(gracePeriod: .seconds(10))
        #expect(await polite.waitForExit() == LocalProcess.Exit(code: 0, signal: nil))
        #expect(try String(contentsOf: log, encoding: .utf8).contains("got-term"))

        let stubbornLog = directory.appendingPathComponent("s.log")
        let stubborn = try LocalProcess.spawn(
            arguments: ["/bin/sh", "-c", "trap '' TERM; echo ready; sleep 60"],
            environment: ["PATH": "/usr/bin:/bin"], workingDirectory: nil, logFile: stubbornLog)
        try await waitForText("ready", in: stubbornLog)
        let clock = ContinuousClock()
        let started = clock.now
        stubborn.terminate(gracePeriod: .milliseconds(500))
        let exit = await stubborn.waitForExit()
        let elapsed = clock.now - started
        #expect(exit == LocalProcess.Exit(code: 137, signal: SIGKILL))
        #expect(elapsed >= .milliseconds(450))
        #expect(elapsed < .seconds(10))
    }

    @Test func aMissingExecutableFailsToSpawn() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: NodeAgentError.self) {
            try LocalProcess.spawn(
                arguments: [directory.appendingPathComponent("absent").path], environment: [:], workingDirectory: nil,
                logFile: directory.appendingPathComponent("x.log"))
        }
    }

    @Test func statusPhaseFollowsTheContainers() {
        var a = ContainerRecord(name: "a", image: "x")
        var b = ContainerRecord(name: "b", image: "x")
        func status() -> PodStatusBuilder {
            PodStatusBuilder(podIP: "127.0.0.2", hostIP: "127.0.0.1", startTime: "t", initContainers: [],
                             containers: [a, b], initialized: true, failure: nil)
        }
        #expect(status().phase == "Pending")
        a.state = ContainerState(running: .init(startedAt: "t"))
        #expect(status().phase == "Running")
        let ready = status().status(previous: [], now: "t1").conditions?.first { $0.type == "Ready" }
        #expect(ready?.status == "False")
        #expect(ready?.message == "containers with unready status: [b]")
        b.state = ContainerState(running: .init(startedAt: "t"))
        let all = status().status(previous: [], now: "t2")
        #expect(all.conditions?.first { $0.type == "Ready" }?.status == "True")
        a.state = ContainerState(terminated: .init(exitCode: 0))
        a.finished = true
        b.state = ContainerState(terminated: .init(exitCode: 3))
        b.finished = true
        let failed = status().status(previous: all.conditions ?? [], now: "t3")
        #expect(failed.phase == "Failed")
        #expect(failed.conditions?.first { $0.type == "PodScheduled" }?.lastTransitionTime == "t2")
        #expect(failed.conditions?.first { $0.type == "Ready" }?.lastTransitionTime == "t3")
        b.state = ContainerState(terminated: .init(exitCode: 0))
        #expect(status().phase == "Succeeded")
    }

    private func waitForText(_ text: String, in file: URL) async throws {
        for _ in 0..<100 {
            if let content = try? String(contentsOf: file, encoding: .utf8), content.contains(text) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(file.path) never contained \(text)")
    }
}
