import AsyncHTTPClient
import Foundation
import KubeClient
@testable import LocalCluster
import NIOSSL
import RingmasterTesting
import Testing

/// HTTPS and authentication of the local API server, over real sockets:
/// who gets in (client certificates from the cluster CA, known bearer
/// tokens), who does not (no credentials, a foreign certificate, an unknown
/// token), and that the PKI outlives a restart.
@Suite struct AuthenticationTests {
    static let whoamiPath = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
    static let whoamiBody: JSONValue = .object([
        "apiVersion": .string("authentication.k8s.io/v1"), "kind": .string("SelfSubjectReview"), "metadata": .object([:]),
    ])

    /// A client that trusts the cluster's CA and presents no credentials.
    static func anonymous(_ cluster: LocalClusterFixture) throws -> APITestClient {
        APITestClient(baseURL: cluster.baseURL, tls: try #require(cluster.server.pki).clientTLSConfiguration())
    }

    @Test func aRequestWithoutCredentialsGets401WithAStatusBody() async throws {
        let cluster = try await LocalClusterFixture.start()
        defer { Task { try? await cluster.shutdown() } }
        let api = try Self.anonymous(cluster)
        for path in ["/api/v1/namespaces", "/api", "/version", "/apis/authentication.k8s.io/v1"] {
            let response = try await api.get(path)
            #expect(response.status == 401, "\(path)")
            #expect(response.body == .object([
                "kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([:]), "status": .string("Failure"),
                "message": .string("Unauthorized"), "reason": .string("Unauthorized"), "code": .integer(401),
            ]), "\(path)")
        }
        let create = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("sneaky"))
        #expect(create.status == 401)
        // Nothing was written.
        let admin = try APITestClient(cluster)
        #expect(try await admin.get("/api/v1/namespaces/default/configmaps/sneaky").status == 404)
    }

    @Test func healthProbesAnswerWithoutCredentials() async throws {
        let cluster = try await LocalClusterFixture.start()
        defer { Task { try? await cluster.shutdown() } }
        let api = try Self.anonymous(cluster)
        for path in ["/healthz", "/livez", "/readyz"] {
            let response = try await api.get(path)
            #expect(response.status == 200, "\(path)")
            #expect(response.text == "ok")
        }
    }

    @Test func aClientCertificateIsTheUserAndItsOrganizationsTheGroups() async throws {
        let cluster = try await LocalClusterFixture.start()
        defer { Task { try? await cluster.shutdown() } }
        let pki = try #require(cluster.server.pki)
        let alice = APITestClient(baseURL: cluster.baseURL, tls: try pki.clientTLSConfiguration(user: "alice", groups: ["dev", "ops"]))
        let review = try await alice.post(Self.whoamiPath, Self.whoamiBody)
        #expect(review.status == 201)
        #expect(review.body["kind"]?.stringValue == "SelfSubjectReview")
        #expect(review.body["apiVersion"]?.stringValue == "authentication.k8s.io/v1")
        #expect(review.body["status"]?["userInfo"]?["username"]?.stringValue == "alice")
        #expect(review.body["status"]?["userInfo"]?["groups"] == .array([.string("dev"), .string("ops"), .string("system:authenticated")]))

        let admin = try await APITestClient(cluster).post(Self.whoamiPath, Self.whoamiBody)
        #expect(admin.body["status"]?["userInfo"]?["username"]?.stringValue == LocalAPIServer.adminUser)
        #expect(admin.body["status"]?["userInfo"]?["groups"] == .array([.string("system:masters"), .string("system:authenticated")]))

        // Only POST: a review is not stored, so there is nothing to get. RBAC
        // answers first (alice holds only create on it); the administrator
        // gets as far as the resource, which allows no get.
        #expect(try await alice.get(Self.whoamiPath).status == 403)
        #expect(try await APITestClient(cluster).get(Self.whoamiPath).status == 405)
    }

    @Test func aClientCertificateFromAForeignCAFailsTheHandshake() async throws {
        let cluster = try await LocalClusterFixture.start()
        defer { Task { try? await cluster.shutdown() } }
        let foreignDirectory = cluster.dataDirectory.appendingPathComponent("foreign-pki")
        let foreign = try LocalPKI.loadOrCreate(directory: foreignDirectory)
        let issued = try foreign.issueClientCertificate(user: "mallory", groups: [UserInfo.mastersGroup])
        var tls = try #require(cluster.server.pki).clientTLSConfiguration()
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(issued.privateKeyPEM.utf8), format: .pem))
        let mallory = APITestClient(baseURL: cluster.baseURL, tls: tls)
        let failure = await #expect(throws: (any Error).self) {
            _ = try await mallory.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("forged"))
        }
        // The server's alert: the certificate's issuer is not one it trusts.
        let text = failure.map { String(describing: $0) } ?? ""
        #expect(text.contains("ALERT_UNKNOWN_CA"), "\(text)")
        #expect(try await APITestClient(cluster).get("/api/v1/namespaces/default/configmaps/forged").status == 404)
    }

    @Test func aStaticTokenIsItsUserAndAnUnknownTokenGets401() async throws {
        let tokens = try StaticTokenAuthenticator(csv: """
            s3cret-token,bob,1001,"viewers,auditors"
            other-token,carol,1002
            """)
        let cluster = try await LocalClusterFixture.start(options: LocalAPIServer.Options(tokenAuthenticators: [tokens]))
        defer { Task { try? await cluster.shutdown() } }
        let tls = try #require(cluster.server.pki).clientTLSConfiguration()

        let bob = APITestClient(baseURL: cluster.baseURL, tls: tls, authorization: "Bearer s3cret-token")
        let review = try await bob.post(Self.whoamiPath, Self.whoamiBody)
        #expect(review.status == 201)
        #expect(review.body["status"]?["userInfo"]?["username"]?.stringValue == "bob")
        #expect(review.body["status"]?["userInfo"]?["uid"]?.stringValue == "1001")
        #expect(review.body["status"]?["userInfo"]?["groups"] == .array([.string("viewers"), .string("auditors"), .string("system:authenticated")]))
        // Authenticated, bob is still refused what RBAC grants him not: 403, not 401.
        #expect(try await bob.get("/api/v1/namespaces").status == 403)

        for header in ["Bearer wrong-token", "Bearer ", "Basic Ym9iOnBhc3N3b3Jk", "s3cret-token"] {
            let refused = APITestClient(baseURL: cluster.baseURL, tls: tls, authorization: header)
            let response = try await refused.get("/api/v1/namespaces")
            #expect(response.status == 401, "\(header)")
            #expect(response.body["reason"]?.stringValue == "Unauthorized")
            // A bad credential is not taken for no credential, not even by the probes.
            #expect(try await refused.get("/healthz").status == 401, "\(header)")
        }
    }

    @Test func kubectlWorksOverTLSWithTheWrittenKubeconfig() async throws {
        let cluster = try await LocalClusterFixture.start()
        defer { Task { try? await cluster.shutdown() } }
        let kubeconfig = try String(contentsOfFile: cluster.kubeconfigPath, encoding: .utf8)
        #expect(kubeconfig.contains("server: https://127.0.0.1:"))
        #expect(kubeconfig.contains("certificate-authority-data: "))
        #expect(kubeconfig.contains("client-certificate-data: "))
        #expect(kubeconfig.contains("client-key-data: "))
        #expect(!kubeconfig.contains("insecure-skip-tls-verify"))
        #expect(try Self.mode(cluster.kubeconfigPath) == 0o600)

        let namespaces = try await KubectlAcceptanceTests.kubectl(cluster, ["get", "ns", "-o", "name"])
        #expect(namespaces.standardOutput.split(separator: "\n").contains("namespace/default"))
        let created = try await KubectlAcceptanceTests.kubectl(cluster, ["apply", "-f", "-"], input: """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: over-tls}
            data: {k: v}
            """)
        #expect(created.standardOutput.contains("configmap/over-tls created"))
        let whoami = try await KubectlAcceptanceTests.kubectl(cluster, ["auth", "whoami", "-o", "json"])
        let user = try JSONDecoder().decode(JSONValue.self, from: Data(whoami.standardOutput.utf8))
        #expect(user["status"]?["userInfo"]?["username"]?.stringValue == LocalAPIServer.adminUser)

        // Another user's kubeconfig is that user to the server.
        let dana = try cluster.writeKubeconfig(named: "dana.kubeconfig", user: "dana", groups: ["team-a"])
        let result = try await ProcessRunner.run(
            try ExternalTools.kubectl(), ["auth", "whoami", "-o", "json"], environment: cluster.kubectlEnvironment.merging(["KUBECONFIG": dana]) { $1 },
            currentDirectory: ExternalTools.packageRoot, timeout: .seconds(60))
        #expect(result.status == 0, "\(result.combinedOutput)")
        let danaReview = try JSONDecoder().decode(JSONValue.self, from: Data(result.standardOutput.utf8))
        #expect(danaReview["status"]?["userInfo"]?["username"]?.stringValue == "dana")
        #expect(danaReview["status"]?["userInfo"]?["groups"] == .array([.string("team-a"), .string("system:authenticated")]))
    }

    @Test func discoveryListsSelfSubjectReviewsAsCreateOnly() async throws {
        let cluster = try await LocalClusterFixture.start()
        defer { Task { try? await cluster.shutdown() } }
        let api = try APITestClient(cluster)
        let groups = try await api.get("/apis").body["groups"]?.arrayValue ?? []
        let authentication = groups.first { $0["name"]?.stringValue == "authentication.k8s.io" }
        #expect(authentication?["preferredVersion"]?["groupVersion"]?.stringValue == "authentication.k8s.io/v1")
        let resources = try await api.get("/apis/authentication.k8s.io/v1").body["resources"]?.arrayValue ?? []
        let reviews = resources.first { $0["name"]?.stringValue == "selfsubjectreviews" }
        #expect(reviews?["kind"]?.stringValue == "SelfSubjectReview")
        #expect(reviews?["namespaced"] == .bool(false))
        #expect(reviews?["verbs"] == .array([.string("create")]))
    }

    @Test func thePKIIsKeptAcrossARestartOnTheSameDataDirectory() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-pki-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = LocalAPIServer()
        try await first.start(dataDirectory: directory)
        let fingerprint = try #require(first.pki).certificateAuthorityFingerprint
        let kubeconfig = directory.appendingPathComponent("first.kubeconfig")
        try first.writeKubeconfig(to: kubeconfig)
        try await first.shutdown()

        let pkiDirectory = Layout(dataDirectory: directory).pkiDirectory
        #expect(try Self.mode(pkiDirectory.path) == 0o700)
        for key in ["ca.key", "server.key"] {
            #expect(try Self.mode(pkiDirectory.appendingPathComponent(key).path) == 0o600, "\(key)")
        }
        let serverCertificate = try String(contentsOf: pkiDirectory.appendingPathComponent("server.crt"), encoding: .utf8)

        let second = LocalAPIServer()
        try await second.start(dataDirectory: directory)
        defer { Task { try? await second.shutdown() } }
        #expect(try #require(second.pki).certificateAuthorityFingerprint == fingerprint)
        #expect(try String(contentsOf: pkiDirectory.appendingPathComponent("server.crt"), encoding: .utf8) == serverCertificate)
        // A kubeconfig from before the restart still works, on the new port.
        var config = try KubeConfig.load(kubeconfigPath: kubeconfig.path)
        config.server = second.baseURL.absoluteString
        let namespaces = try await KubernetesClient(config: config, options: ClientOptions(qps: nil)).namespaces.list()
        #expect(namespaces.items.contains { $0.metadata.name == "default" })
    }

    @Test func aServerCertificateCoversTheInClusterNamesAndANewBindHost() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-pki-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try LocalPKI.loadOrCreate(directory: directory)
        let names = try LocalPKI.alternativeNames(ofCertificatePEM: first.serverCertificatePEM)
        #expect(Set(names) == Set(LocalPKI.defaultServerNames))
        #expect(names.contains("::1") && names.contains("127.0.0.1") && names.contains("kubernetes.default.svc"))
        // Another bind address: a new server certificate from the same CA.
        let second = try LocalPKI.loadOrCreate(directory: directory, serverHosts: ["10.1.2.3"])
        #expect(second.certificateAuthorityFingerprint == first.certificateAuthorityFingerprint)
        #expect(try LocalPKI.alternativeNames(ofCertificatePEM: second.serverCertificatePEM).contains("10.1.2.3"))
        // The same request again keeps it.
        let third = try LocalPKI.loadOrCreate(directory: directory, serverHosts: ["10.1.2.3"])
        #expect(third.serverCertificatePEM == second.serverCertificatePEM)
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

}
