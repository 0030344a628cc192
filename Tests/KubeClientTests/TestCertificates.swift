import Foundation
import KubeClient
import RingmasterTesting

/// A throw-away PKI for TLS tests, made by the `openssl` command-line tool in
/// a fresh temporary directory: a CA, a server certificate for 127.0.0.1 and
/// one for the name `kubernetes.test` only,
/// client certificates signed by the CA (one valid, one expired), a client
/// certificate signed by another CA, and a key that belongs to none of them.
/// All keys are ECDSA P-256; every file is PEM.
struct TestCertificates: Sendable {
    let directory: URL

    var caCertificate: URL { file("ca.crt") }
    var serverCertificate: URL { file("server.crt") }
    var serverKey: URL { file("server.key") }
    /// A server certificate for the DNS name `kubernetes.test` only (no IP
    /// address): a client connecting to 127.0.0.1 accepts it only when told
    /// to expect that name (`tls-server-name`).
    var namedServerCertificate: URL { file("named-server.crt") }
    var namedServerKey: URL { file("named-server.key") }
    static let namedServerName = "kubernetes.test"
    /// Valid for a day, subject `CN=<commonName>` given to `make`.
    var clientCertificate: URL { file("client.crt") }
    var clientKey: URL { file("client.key") }
    /// A second valid client identity, `CN=<commonName>-renewed`.
    var renewedCertificate: URL { file("renewed.crt") }
    var renewedKey: URL { file("renewed.key") }
    /// Expired yesterday, `CN=expired`.
    var expiredCertificate: URL { file("expired.crt") }
    var expiredKey: URL { file("expired.key") }
    /// Valid, but signed by a CA the server does not trust, `CN=stranger`.
    var strangerCertificate: URL { file("stranger.crt") }
    var strangerKey: URL { file("stranger.key") }
    /// A key that matches no certificate.
    var unrelatedKey: URL { file("unrelated.key") }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func pem(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    /// Writes `name` in `directory`: a kubeconfig for `server` that trusts
    /// the test CA (relative path `ca.crt`), optionally with
    /// `tls-server-name`, and whose user has `userFields` ("key: value"
    /// lines); returns it loaded.
    func kubeconfig(server: String, userFields: [String], tlsServerName: String? = nil, name: String = "kubeconfig") throws -> KubeConfig {
        let file = directory.appendingPathComponent(name)
        var lines = [
            "apiVersion: v1", "kind: Config", "current-context: test",
            "clusters:", "- name: test", "  cluster:", "    server: \(server)", "    certificate-authority: ca.crt",
        ]
        if let tlsServerName { lines.append("    tls-server-name: \(tlsServerName)") }
        lines += ["users:", "- name: someone", "  user:"] + userFields.map { "    " + $0 }
        lines += ["contexts:", "- name: test", "  context: {cluster: test, user: someone}"]
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        return try KubeConfig.load(kubeconfigPath: file.path)
    }

    /// Generates everything; the caller removes `directory` when done.
    static func make(commonName: String) async throws -> TestCertificates {
        let openssl = try locateOpenSSL()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ringmaster-tls-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        func run(_ arguments: [String]) async throws {
            let result = try await ProcessRunner.run(openssl, arguments, currentDirectory: directory, timeout: .seconds(60))
            guard result.status == 0 else {
                throw TestCertificateError(command: "openssl " + arguments.joined(separator: " "), output: result.combinedOutput)
            }
        }
        func key(_ name: String) async throws {
            try await run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name])
        }
        func authority(_ name: String, _ subject: String) async throws {
            try await key("\(name).key")
            try await run(["req", "-x509", "-new", "-key", "\(name).key", "-out", "\(name).crt", "-days", "2",
                           "-subj", subject, "-addext", "basicConstraints=critical,CA:TRUE",
                           "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        }
        /// Signs a new key's certificate with `ca`; `days` -1 makes one that expired yesterday.
        func leaf(_ name: String, _ subject: String, ca: String, days: Int, extensions: String) async throws {
            try await key("\(name).key")
            try await run(["req", "-new", "-key", "\(name).key", "-out", "\(name).csr", "-subj", subject])
            try extensions.write(to: directory.appendingPathComponent("\(name).ext"), atomically: true, encoding: .utf8)
            try await run(["x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).crt", "-CAkey", "\(ca).key",
                           "-CAcreateserial", "-out", "\(name).crt", "-days", "\(days)", "-extfile", "\(name).ext"])
        }
        let client = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
        try await authority("ca", "/CN=ringmaster-test-ca")
        try await authority("other-ca", "/CN=some-other-ca")
        try await leaf("server", "/CN=127.0.0.1", ca: "ca", days: 1, extensions:
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n")
        try await leaf("named-server", "/CN=\(namedServerName)", ca: "ca", days: 1, extensions:
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:\(namedServerName)\n")
        try await leaf("client", "/CN=\(commonName)/O=system:masters", ca: "ca", days: 1, extensions: client)
        try await leaf("renewed", "/CN=\(commonName)-renewed", ca: "ca", days: 1, extensions: client)
        try await leaf("expired", "/CN=expired", ca: "ca", days: -1, extensions: client)
        try await leaf("stranger", "/CN=stranger", ca: "other-ca", days: 1, extensions: client)
        try await key("unrelated.key")
        return certificates
    }

    private static func locateOpenSSL() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin"] {
            let candidate = "\(directory)/openssl"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestCertificateError(command: "openssl", output: "not found on PATH; install the openssl package")
    }
}

/// An `openssl` command failed.
struct TestCertificateError: Error, CustomStringConvertible {
    var command: String
    var output: String
    var description: String { "\(command) failed: \(output)" }
}
