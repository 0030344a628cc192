import Foundation
import KubeClient
import RingmasterTesting
import Testing

@Suite struct KubeConfigTests {
    static let yaml = """
    apiVersion: v1
    kind: Config
    current-context: dev
    clusters:
    - name: local
      cluster:
        server: http://127.0.0.1:6443/
    - name: remote
      cluster:
        server: https://10.0.0.1:6443
        insecure-skip-tls-verify: true
    users:
    - name: alice
      user:
        token: abc
    - name: robot
      user:
        tokenFile: tokens/robot
    - name: cloud
      user:
        exec:
          apiVersion: client.authentication.k8s.io/v1
          command: ./plugin.sh
          args: ["--fast"]
          env: [{name: REGION, value: eu}]
          installHint: install the cloud CLI
    contexts:
    - name: dev
      context: {cluster: local, user: alice, namespace: ml}
    - name: ci
      context: {cluster: remote, user: robot}
    - name: prod
      context: {cluster: remote, user: cloud}
    """

    @Test func currentAndExplicitContexts() throws {
        let dev = try KubeConfig.parse(yaml: Self.yaml, baseDirectory: "/cfg")
        #expect(dev.server == "http://127.0.0.1:6443")
        #expect(dev.namespace == "ml")
        #expect(dev.credentials == .token("abc"))
        #expect(!dev.usesTLS)

        let ci = try KubeConfig.parse(yaml: Self.yaml, context: "ci", baseDirectory: "/cfg")
        #expect(ci.namespace == "default")
        #expect(ci.tls.insecureSkipTLSVerify)
        #expect(ci.credentials == .tokenFile(path: "/cfg/tokens/robot", refreshInterval: .seconds(60)))

        let prod = try KubeConfig.parse(yaml: Self.yaml, context: "prod", baseDirectory: "/cfg")
        guard case .exec(let plugin) = prod.credentials else {
            Issue.record("expected an exec plugin, got \(prod.credentials)")
            return
        }
        #expect(plugin.command == "./plugin.sh")
        #expect(plugin.args == ["--fast"])
        #expect(plugin.env == ["REGION": "eu"])
        #expect(plugin.baseDirectory == "/cfg")
    }

    @Test func anUnknownContextIsAClearError() throws {
        let error = #expect(throws: KubeClientError.self) {
            _ = try KubeConfig.parse(yaml: Self.yaml, context: "nope", baseDirectory: "/cfg")
        }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("context \"nope\" not found") == true)
        #expect(error?.message.contains("dev, ci, prod") == true)
    }

    @Test func inClusterReadsTheServiceAccountMount() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try "tok".write(to: root.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try "training\n".write(to: root.appendingPathComponent("namespace"), atomically: true, encoding: .utf8)
        let config = try KubeConfig.inCluster(
            root: root.path, environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"])
        #expect(config.server == "https://10.96.0.1:443")
        #expect(config.namespace == "training")
        #expect(config.credentials == .tokenFile(path: root.path + "/token", refreshInterval: .seconds(60)))

        let error = #expect(throws: KubeClientError.self) {
            _ = try KubeConfig.inCluster(root: root.path, environment: [:])
        }
        #expect(error?.message.contains("KUBERNETES_SERVICE_HOST") == true)
    }

    /// Writes an executable shell script.
    static func script(_ directory: URL, _ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try ("#!/bin/sh\n" + text).write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url.path
    }

    @Test func aFailingExecPluginGivesAClearMessage() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plugin = try Self.script(directory, "fail.sh", "echo 'error: the SSO session has expired' >&2\nexit 3\n")
        let client = try KubernetesClient(
            config: KubeConfig(server: "http://127.0.0.1:1", credentials: .exec(.init(
                command: plugin, installHint: "Run `cloud login` first."))),
            options: ClientOptions(qps: nil))
        let error = await #expect(throws: KubeClientError.self) { _ = try await client.configMaps.get("c", in: "d") }
        #expect(error?.code == .credentials)
        let message = error?.message ?? ""
        #expect(message.contains("exit code 3"))
        #expect(message.contains("the SSO session has expired"))
        #expect(message.contains("Run `cloud login` first."))
    }

    @Test func anExecPluginTokenIsSentAndCachedUntilItExpires() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let counter = directory.appendingPathComponent("count").path
        let clock = ManualClock(wallOrigin: Date(timeIntervalSince1970: 1_800_000_000))
        let expiry = RFC3339.format(Date(timeIntervalSince1970: 1_800_000_000 + 600))
        let plugin = try Self.script(directory, "ok.sh", """
            echo run >> \(counter)
            test "$REGION" = eu || exit 9
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-'$(wc -l < \(counter) | tr -d ' ')'","expirationTimestamp":"\(expiry)"}}'
            """)
        let seen = LockedStrings()
        try await ScriptedHTTPServer.with({ request in
            seen.append(request.headers["authorization"] ?? "")
            return .json(200, ClientFaultTests.configMapJSON)
        }) { url in
            let client = try KubernetesClient(
                config: KubeConfig(server: url, credentials: .exec(.init(command: plugin, env: ["REGION": "eu"]))),
                options: ClientOptions(qps: nil, clock: clock))
            _ = try await client.configMaps.get("c", in: "d")
            _ = try await client.configMaps.get("c", in: "d")
            clock.advance(by: .seconds(601))
            _ = try await client.configMaps.get("c", in: "d")
        }
        #expect(seen.all == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"])
    }
}
