import Foundation
import KubeClient
import Testing

/// `tls-server-name` in a kubeconfig: the server is reached at its address,
/// and its certificate is checked against that name instead (as when an API
/// server is reached through a tunnel or a load balancer's IP address).
@Suite("tls-server-name")
struct TLSServerNameTests {
    /// A kubeconfig for `url` that trusts the test CA and authenticates with
    /// the static client certificate.
    static func kubeconfig(_ certificates: TestCertificates, url: String, serverName: String?) throws -> KubeConfig {
        try certificates.kubeconfig(
            server: url, userFields: ["client-certificate: client.crt", "client-key: client.key"],
            tlsServerName: serverName, name: "kubeconfig-\(serverName ?? "none")")
    }

    @Test func theServerCertificateIsCheckedAgainstTheConfiguredName() async throws {
        let certificates = try await TestCertificates.make(commonName: "named-user")
        defer { try? FileManager.default.removeItem(at: certificates.directory) }
        let log = MutualTLSServer.Log()
        let name = try await MutualTLSServer.with(certificates, named: true, log: log) { url in
            let config = try Self.kubeconfig(certificates, url: url, serverName: TestCertificates.namedServerName)
            #expect(config.tls.serverName == TestCertificates.namedServerName)
            let client = try KubernetesClient(config: config, options: ClientOptions(qps: nil))
            return try await client.configMaps.get("c", in: "d").data?["commonName"]
        }
        #expect(name == "named-user")
        #expect(log.commonNames == ["named-user"])
    }

    @Test func withoutTheNameTheSameServerIsRefusedWithAClearError() async throws {
        let certificates = try await TestCertificates.make(commonName: "named-user")
        defer { try? FileManager.default.removeItem(at: certificates.directory) }
        let log = MutualTLSServer.Log()
        let error = try await MutualTLSServer.with(certificates, named: true, log: log) { url in
            let client = try KubernetesClient(
                config: Self.kubeconfig(certificates, url: url, serverName: nil), options: ClientOptions(qps: nil))
            return await #expect(throws: KubeClientError.self) { _ = try await client.configMaps.get("c", in: "d") }
        }
        #expect(error?.code == .tls, "\(String(describing: error))")
        #expect(error?.message.contains("not valid for the name 127.0.0.1") == true, "\(String(describing: error))")
        #expect(log.commonNames.isEmpty)
    }

    @Test func aNameThatDoesNotMatchTheCertificateIsRefused() async throws {
        let certificates = try await TestCertificates.make(commonName: "named-user")
        defer { try? FileManager.default.removeItem(at: certificates.directory) }
        let error = try await MutualTLSServer.with(certificates, named: true) { url in
            let client = try KubernetesClient(
                config: Self.kubeconfig(certificates, url: url, serverName: "other.test"), options: ClientOptions(qps: nil))
            return await #expect(throws: KubeClientError.self) { _ = try await client.configMaps.get("c", in: "d") }
        }
        #expect(error?.code == .tls, "\(String(describing: error))")
        #expect(error?.message.contains("not valid for the name other.test") == true, "\(String(describing: error))")
    }
}
