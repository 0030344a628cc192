import Foundation
import KubeClient
import RingmasterTesting
import Testing

/// Client certificates over real TLS: a server that requires a certificate
/// signed by the test CA, certificates made by `openssl` for each test.
@Suite struct ClientCertificateTests {
    /// A temporary directory with a fresh PKI, removed by `remove()`.
    struct Fixture {
        let certificates: TestCertificates
        var directory: URL { certificates.directory }

        static func make(commonName: String) async throws -> Fixture {
            Fixture(certificates: try await TestCertificates.make(commonName: commonName))
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }

        /// TLS settings that trust the test CA and present no certificate.
        func trustingTheCA() throws -> KubeConfig.TLSSettings {
            KubeConfig.TLSSettings(certificateAuthorityPEM: try Data(contentsOf: certificates.caCertificate))
        }

        /// An exec plugin that appends a line to `runs` each time it runs and
        /// prints the ExecCredential in `answers[run]` (the last one for later runs).
        func plugin(answers: [[String: Any]]) throws -> (command: String, runs: String) {
            let runs = directory.appendingPathComponent("runs").path
            var cases = ""
            for (index, answer) in answers.enumerated() {
                let url = directory.appendingPathComponent("answer-\(index + 1).json")
                try JSONSerialization.data(withJSONObject: answer).write(to: url)
                cases += "\(index + 1)) cat '\(url.path)' ;;\n"
            }
            let last = directory.appendingPathComponent("answer-\(answers.count).json").path
            let command = try KubeConfigTests.script(directory, "plugin.sh", """
                echo run >> '\(runs)'
                case $(wc -l < '\(runs)' | tr -d ' ') in
                \(cases)*) cat '\(last)' ;;
                esac
                """)
            return (command, runs)
        }

        func runCount(_ runs: String) -> Int {
            ((try? String(contentsOfFile: runs, encoding: .utf8)) ?? "").split(separator: "\n").count
        }

        /// An ExecCredential carrying a certificate and key (PEM text), and optionally more status fields.
        func credential(certificate: URL?, key: URL?, extra: [String: Any] = [:]) throws -> [String: Any] {
            var status = extra
            if let certificate { status["clientCertificateData"] = try certificates.pem(certificate) }
            if let key { status["clientKeyData"] = try certificates.pem(key) }
            return ["apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": status]
        }
    }

    @Test func anExecPluginCertificateIsPresentedAndCached() async throws {
        let fixture = try await Fixture.make(commonName: "exec-user")
        defer { fixture.remove() }
        let certificates = fixture.certificates
        let (command, runs) = try fixture.plugin(answers: [
            try fixture.credential(certificate: certificates.clientCertificate, key: certificates.clientKey),
        ])
        let log = MutualTLSServer.Log()
        let tls = try fixture.trustingTheCA()
        let names = try await MutualTLSServer.with(certificates, log: log) { url in
            let client = try KubernetesClient(
                config: KubeConfig(server: url, tls: tls, credentials: .exec(.init(command: command))),
                options: ClientOptions(qps: nil))
            var names: [String] = []
            for _ in 0..<2 {
                names.append(try await client.configMaps.get("c", in: "d").data?["commonName"] ?? "")
            }
            return names
        }
        #expect(names == ["exec-user", "exec-user"])
        #expect(log.commonNames == ["exec-user", "exec-user"])
        #expect(fixture.runCount(runs) == 1)
    }

    @Test func aCertificateTheServerRejectsWith401IsReplacedByRunningThePluginAgain() async throws {
        let fixture = try await Fixture.make(commonName: "exec-user")
        defer { fixture.remove() }
        let certificates = fixture.certificates
        let (command, runs) = try fixture.plugin(answers: [
            try fixture.credential(certificate: certificates.clientCertificate, key: certificates.clientKey),
            try fixture.credential(certificate: certificates.renewedCertificate, key: certificates.renewedKey),
        ])
        let tls = try fixture.trustingTheCA()
        let name = try await MutualTLSServer.with(certificates, rejectedNames: ["exec-user"]) { url in
            let client = try KubernetesClient(
                config: KubeConfig(server: url, tls: tls, credentials: .exec(.init(command: command))),
                options: ClientOptions(qps: nil))
            return try await client.configMaps.get("c", in: "d").data?["commonName"]
        }
        #expect(name == "exec-user-renewed")
        #expect(fixture.runCount(runs) == 2)
    }

    @Test func aCertificateThatExpiresIsRenewedFromThePluginBeforeUse() async throws {
        let fixture = try await Fixture.make(commonName: "exec-user")
        defer { fixture.remove() }
        let certificates = fixture.certificates
        // The first answer says it expires in a minute; the injected wall clock then moves past that.
        let origin = Date()
        let clock = ManualClock(wallOrigin: origin)
        let soon = RFC3339.format(origin.addingTimeInterval(60))
        let (command, runs) = try fixture.plugin(answers: [
            try fixture.credential(certificate: certificates.clientCertificate, key: certificates.clientKey,
                                   extra: ["expirationTimestamp": soon]),
            try fixture.credential(certificate: certificates.renewedCertificate, key: certificates.renewedKey),
        ])
        let tls = try fixture.trustingTheCA()
        let names = try await MutualTLSServer.with(certificates) { url in
            let client = try KubernetesClient(
                config: KubeConfig(server: url, tls: tls, credentials: .exec(.init(command: command))),
                options: ClientOptions(qps: nil, clock: clock))
            let first = try await client.configMaps.get("c", in: "d").data?["commonName"] ?? ""
            clock.advance(by: .seconds(61))
            let second = try await client.configMaps.get("c", in: "d").data?["commonName"] ?? ""
            return [first, second]
        }
        #expect(names == ["exec-user", "exec-user-renewed"])
        #expect(fixture.runCount(runs) == 2)
    }

    enum StaticSource: String, CaseIterable, Sendable { case files, data }

    @Test(arguments: StaticSource.allCases)
    func aKubeconfigClientCertificateIsPresented(_ source: StaticSource) async throws {
        let fixture = try await Fixture.make(commonName: "static-user")
        defer { fixture.remove() }
        let certificates = fixture.certificates
        let log = MutualTLSServer.Log()
        let name = try await MutualTLSServer.with(certificates, log: log) { url in
            let user: [String]
            switch source {
            case .files:
                user = [
                    "client-certificate: \(certificates.clientCertificate.lastPathComponent)",
                    "client-key: \(certificates.clientKey.path)",
                ]
            case .data:
                user = [
                    "client-certificate-data: \(try Data(contentsOf: certificates.clientCertificate).base64EncodedString())",
                    "client-key-data: \(try Data(contentsOf: certificates.clientKey).base64EncodedString())",
                ]
            }
            let client = try KubernetesClient(
                config: certificates.kubeconfig(server: url, userFields: user), options: ClientOptions(qps: nil))
            return try await client.configMaps.get("c", in: "d").data?["commonName"]
        }
        #expect(name == "static-user")
        #expect(log.commonNames == ["static-user"])
    }

    enum Refused: String, CaseIterable, Sendable {
        /// No client certificate at all.
        case none
        /// A certificate from a CA the server does not trust.
        case untrustedAuthority
    }

    @Test(arguments: Refused.allCases)
    func theServerRefusesTheHandshakeWithAClearError(_ refused: Refused) async throws {
        let fixture = try await Fixture.make(commonName: "someone")
        defer { fixture.remove() }
        let certificates = fixture.certificates
        var tls = try fixture.trustingTheCA()
        if refused == .untrustedAuthority {
            tls.clientCertificatePEM = try Data(contentsOf: certificates.strangerCertificate)
            tls.clientKeyPEM = try Data(contentsOf: certificates.strangerKey)
        }
        let log = MutualTLSServer.Log()
        let error = try await MutualTLSServer.with(certificates, log: log) { [tls] url in
            let client = try KubernetesClient(config: KubeConfig(server: url, tls: tls), options: ClientOptions(qps: nil))
            return await #expect(throws: KubeClientError.self) { _ = try await client.configMaps.get("c", in: "d") }
        }
        #expect(error?.code == .tls)
        let message = error?.message ?? ""
        #expect(message.contains("TLS"), "\(String(describing: error))")
        switch refused {
        case .none: #expect(message.contains("no client certificate was presented"), "\(String(describing: error))")
        case .untrustedAuthority: #expect(message.contains("client certificate"), "\(String(describing: error))")
        }
        #expect(log.commonNames.isEmpty)
    }

    enum BadAnswer: String, CaseIterable, Sendable {
        case expired, keyOfAnotherCertificate, notPEM, certificateWithoutKey
    }

    @Test(arguments: BadAnswer.allCases)
    func anUnusableCertificateFromAPluginIsAClearError(_ answer: BadAnswer) async throws {
        let fixture = try await Fixture.make(commonName: "exec-user")
        defer { fixture.remove() }
        let certificates = fixture.certificates
        let credential: [String: Any]
        switch answer {
        case .expired:
            credential = try fixture.credential(certificate: certificates.expiredCertificate, key: certificates.expiredKey)
        case .keyOfAnotherCertificate:
            credential = try fixture.credential(certificate: certificates.clientCertificate, key: certificates.unrelatedKey)
        case .notPEM:
            credential = ["apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                          "status": ["clientCertificateData": "not a certificate", "clientKeyData": "not a key"]]
        case .certificateWithoutKey:
            credential = try fixture.credential(certificate: certificates.clientCertificate, key: nil)
        }
        let (command, _) = try fixture.plugin(answers: [credential])
        let tls = try fixture.trustingTheCA()
        let log = MutualTLSServer.Log()
        let error = try await MutualTLSServer.with(certificates, log: log) { url in
            let client = try KubernetesClient(
                config: KubeConfig(server: url, tls: tls, credentials: .exec(.init(command: command))),
                options: ClientOptions(qps: nil))
            return await #expect(throws: KubeClientError.self) { _ = try await client.configMaps.get("c", in: "d") }
        }
        let message = error?.message ?? ""
        #expect(message.contains("exec plugin \(command)"), "\(String(describing: error))")
        switch answer {
        case .expired:
            #expect(error?.code == .credentials)
            #expect(message.contains("client certificate expired at"), "\(message)")
        case .keyOfAnotherCertificate:
            #expect(error?.code == .tls)
            #expect(message.contains("the client key does not belong to the client certificate"), "\(message)")
        case .notPEM:
            #expect(error?.code == .tls)
            #expect(message.contains("not a PEM certificate"), "\(message)")
        case .certificateWithoutKey:
            #expect(error?.code == .credentials)
            #expect(message.contains("clientCertificateData without status.clientKeyData"), "\(message)")
        }
        #expect(log.commonNames.isEmpty)
    }

    @Test func aPluginCertificateForAPlainHTTPServerIsAClearError() async throws {
        let fixture = try await Fixture.make(commonName: "exec-user")
        defer { fixture.remove() }
        let certificates = fixture.certificates
        let (command, _) = try fixture.plugin(answers: [
            try fixture.credential(certificate: certificates.clientCertificate, key: certificates.clientKey),
        ])
        let client = try KubernetesClient(
            config: KubeConfig(server: "http://127.0.0.1:1", credentials: .exec(.init(command: command))),
            options: ClientOptions(qps: nil))
        let error = await #expect(throws: KubeClientError.self) { _ = try await client.configMaps.get("c", in: "d") }
        #expect(error?.code == .credentials)
        #expect(error?.message.contains("does not use TLS") == true, "\(String(describing: error))")
    }
}
