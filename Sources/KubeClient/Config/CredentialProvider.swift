import Foundation
import NIOSSL

/// What one request presents to the server.
struct RequestCredential: Sendable {
    /// The `Authorization` header value, or nil for none.
    var authorization: String?
    /// The TLS configuration presenting a client certificate obtained at run
    /// time (from an exec plugin); nil uses the client's own configuration.
    var tlsConfiguration: TLSConfiguration?
}

/// Produces the credentials of each request: a fixed token, a token file
/// re-read every `refreshInterval`, or an exec credential plugin whose answer
/// (a token, a client certificate and key, or both) is cached until its
/// `expirationTimestamp` or the certificate's end of validity, whichever
/// comes first, or until the server answers 401. A certificate from a plugin
/// is presented through a TLS configuration derived from the client's, built
/// once per answer. Safe to call concurrently.
actor CredentialProvider {
    private let credentials: KubeConfig.Credentials
    private let clock: any RuntimeClock
    private let server: String
    private var cachedToken: String?
    private var cachedUntil: Duration?
    private var cachedExpiry: Date?
    private var cachedExec: RequestCredential?

    init(credentials: KubeConfig.Credentials, clock: any RuntimeClock, server: String) {
        self.credentials = credentials
        self.clock = clock
        self.server = server
    }

    /// The credentials for the next request.
    ///
    /// - Parameter tls: the client's TLS configuration (nil for `http://`);
    ///   a client certificate from an exec plugin is added to a copy of it.
    /// - Throws: `KubeClientError(.credentials)` when no credential can be
    ///   obtained (unreadable token file, failing plugin, expired certificate),
    ///   `KubeClientError(.tls)` when a plugin's certificate and key are unusable.
    func current(tls: TLSConfiguration?) throws -> RequestCredential {
        switch credentials {
        case .none:
            return RequestCredential()
        case .token(let token):
            return RequestCredential(authorization: "Bearer \(token)")
        case .basic(let username, let password):
            let encoded = Data("\(username):\(password)".utf8).base64EncodedString()
            return RequestCredential(authorization: "Basic \(encoded)")
        case .tokenFile(let path, let refreshInterval):
            if let cachedToken, let cachedUntil, clock.now() < cachedUntil {
                return RequestCredential(authorization: "Bearer \(cachedToken)")
            }
            guard let data = FileManager.default.contents(atPath: path),
                  let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                  !token.isEmpty else {
                // A rotation in progress may leave the file briefly empty: keep the last good token.
                if let cachedToken { return RequestCredential(authorization: "Bearer \(cachedToken)") }
                throw KubeClientError(.credentials, "cannot read a bearer token from \(path)")
            }
            cachedToken = token
            cachedUntil = clock.now() + refreshInterval
            return RequestCredential(authorization: "Bearer \(token)")
        case .exec(let plugin):
            if let cachedExec {
                if let cachedExpiry {
                    if clock.wallClock() < cachedExpiry { return cachedExec }
                } else {
                    return cachedExec
                }
            }
            let answer = try ExecCredentialRunner.run(plugin, server: server)
            var credential = RequestCredential()
            if let token = answer.token { credential.authorization = "Bearer \(token)" }
            var expiry: Date? = answer.expiration
            if let identity = answer.identity {
                let source = "exec plugin \(plugin.command)"
                guard let tls else {
                    throw KubeClientError(.credentials,
                        "\(source) returned a client certificate, but the server \(server) does not use TLS (https)")
                }
                try identity.checkValidity(at: clock.wallClock(), source: source)
                credential.tlsConfiguration = identity.applied(to: tls)
                let certificateEnd: Date = identity.notValidAfter
                if let stated = expiry, stated < certificateEnd {
                    expiry = stated
                } else {
                    expiry = certificateEnd
                }
            }
            cachedExec = credential
            cachedExpiry = expiry
            return credential
        }
    }

    /// Forgets a cached credential after the server rejected it (401), so the
    /// next request re-reads the file or re-runs the plugin.
    func invalidate() {
        switch credentials {
        case .tokenFile, .exec:
            cachedToken = nil
            cachedUntil = nil
            cachedExpiry = nil
            cachedExec = nil
        default:
            break
        }
    }
}

/// Runs a `client.authentication.k8s.io/v1` (or v1beta1) exec credential plugin.
enum ExecCredentialRunner {
    /// A plugin's answer: a bearer token, a client certificate with its key, or both.
    struct Credential {
        var token: String?
        var identity: ClientCertificateIdentity?
        var expiration: Date?
    }

    private struct ExecCredential: Decodable {
        var apiVersion: String?
        var kind: String?
        var status: StatusPart?
        struct StatusPart: Decodable {
            var token: String?
            var expirationTimestamp: String?
            var clientCertificateData: String?
            var clientKeyData: String?
        }
    }

    static func run(_ plugin: KubeConfig.ExecCredentialPlugin, server: String) throws -> Credential {
        let supported = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]
        guard supported.contains(plugin.apiVersion) else {
            throw KubeClientError(.credentials,
                "exec plugin \(plugin.command): unsupported apiVersion \(plugin.apiVersion) (supported: \(supported.joined(separator: ", ")))")
        }
        let process = Process()
        let command: String
        if plugin.command.contains("/") && !plugin.command.hasPrefix("/"), let base = plugin.baseDirectory {
            command = base + "/" + plugin.command
        } else {
            command = plugin.command
        }
        if command.contains("/") {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = plugin.args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [command] + plugin.args
        }
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in plugin.env { environment[key] = value }
        var execInfo: [String: Any] = [
            "apiVersion": plugin.apiVersion, "kind": "ExecCredential",
            "spec": ["interactive": false] as [String: Any],
        ]
        if plugin.provideClusterInfo {
            execInfo["spec"] = ["interactive": false, "cluster": ["server": server]] as [String: Any]
        }
        if let info = try? JSONSerialization.data(withJSONObject: execInfo),
           let text = String(data: info, encoding: .utf8) {
            environment["KUBERNETES_EXEC_INFO"] = text
        }
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let hint = plugin.installHint.map { "\n\($0)" } ?? ""
        do {
            try process.run()
        } catch {
            throw KubeClientError(.credentials,
                "exec plugin \(plugin.command) could not be started: \(error.localizedDescription)\(hint)")
        }
        // Read both pipes before waiting so a chatty plugin cannot block on a full pipe.
        let errorData = LockedState(Data())
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            let data = stderr.fileHandleForReading.readDataToEndOfFile()
            errorData.withLock { $0 = data }
            group.leave()
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let errorText = String(decoding: errorData.withLock { $0 }, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            let detail = errorText.isEmpty ? "" : ": \(errorText)"
            throw KubeClientError(.credentials,
                "exec plugin \(plugin.command) failed with exit code \(process.terminationStatus)\(detail)\(hint)")
        }
        let credential: ExecCredential
        do {
            credential = try JSONDecoder().decode(ExecCredential.self, from: output)
        } catch {
            throw KubeClientError(.credentials,
                "exec plugin \(plugin.command) printed something that is not an ExecCredential JSON object", underlying: error)
        }
        guard credential.kind == nil || credential.kind == "ExecCredential" else {
            throw KubeClientError(.credentials, "exec plugin \(plugin.command) printed kind \(credential.kind!), expected ExecCredential")
        }
        let status = credential.status
        let token: String? = nonEmpty(status?.token)
        let certificateData: String? = nonEmpty(status?.clientCertificateData)
        let keyData: String? = nonEmpty(status?.clientKeyData)
        var identity: ClientCertificateIdentity?
        if let certificateData, let keyData {
            // Both fields are PEM text in the ExecCredential, not base64.
            identity = try ClientCertificateIdentity(
                certificatePEM: Data(certificateData.utf8), keyPEM: Data(keyData.utf8),
                source: "exec plugin \(plugin.command)")
        } else if certificateData != nil {
            throw KubeClientError(.credentials,
                "exec plugin \(plugin.command) returned status.clientCertificateData without status.clientKeyData")
        } else if keyData != nil {
            throw KubeClientError(.credentials,
                "exec plugin \(plugin.command) returned status.clientKeyData without status.clientCertificateData")
        } else if token == nil {
            throw KubeClientError(.credentials,
                "exec plugin \(plugin.command) returned neither status.token nor status.clientCertificateData and status.clientKeyData")
        }
        var expiration: Date?
        if let stamp = credential.status?.expirationTimestamp {
            guard let date = RFC3339.parse(stamp) else {
                throw KubeClientError(.credentials,
                    "exec plugin \(plugin.command) returned an unparseable expirationTimestamp \(stamp)")
            }
            expiration = date
        }
        return Credential(token: token, identity: identity, expiration: expiration)
    }
}

/// nil for nil or the empty string.
private func nonEmpty(_ text: String?) -> String? {
    guard let text, !text.isEmpty else { return nil }
    return text
}
