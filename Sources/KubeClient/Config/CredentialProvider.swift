import Foundation

/// Produces the `Authorization` header for each request: a fixed token, a
/// token file re-read every `refreshInterval`, or an exec credential plugin
/// whose answer is cached until its `expirationTimestamp` (or until the server
/// answers 401). Safe to call concurrently.
actor CredentialProvider {
    private let credentials: KubeConfig.Credentials
    private let clock: any RuntimeClock
    private let server: String
    private var cachedToken: String?
    private var cachedUntil: Duration?
    private var cachedExpiry: Date?

    init(credentials: KubeConfig.Credentials, clock: any RuntimeClock, server: String) {
        self.credentials = credentials
        self.clock = clock
        self.server = server
    }

    /// The header value, or nil for anonymous requests.
    func authorizationHeader() throws -> String? {
        switch credentials {
        case .none:
            return nil
        case .token(let token):
            return "Bearer \(token)"
        case .basic(let username, let password):
            return "Basic \(Data("\(username):\(password)".utf8).base64EncodedString())"
        case .tokenFile(let path, let refreshInterval):
            if let cachedToken, let cachedUntil, clock.now() < cachedUntil { return "Bearer \(cachedToken)" }
            guard let data = FileManager.default.contents(atPath: path),
                  let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                  !token.isEmpty else {
                // A rotation in progress may leave the file briefly empty: keep the last good token.
                if let cachedToken { return "Bearer \(cachedToken)" }
                throw KubeClientError(.credentials, "cannot read a bearer token from \(path)")
            }
            cachedToken = token
            cachedUntil = clock.now() + refreshInterval
            return "Bearer \(token)"
        case .exec(let plugin):
            if let cachedToken, cachedExpiry.map({ clock.wallClock() < $0 }) ?? true {
                return "Bearer \(cachedToken)"
            }
            let credential = try ExecCredentialRunner.run(plugin, server: server)
            cachedToken = credential.token
            cachedExpiry = credential.expiration
            return "Bearer \(credential.token)"
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
        default:
            break
        }
    }
}

/// Runs a `client.authentication.k8s.io/v1` (or v1beta1) exec credential plugin.
enum ExecCredentialRunner {
    struct Credential {
        var token: String
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
        guard let token = credential.status?.token, !token.isEmpty else {
            if credential.status?.clientCertificateData != nil {
                throw KubeClientError(.credentials,
                    "exec plugin \(plugin.command) returned a client certificate; only token credentials from exec plugins are supported")
            }
            throw KubeClientError(.credentials, "exec plugin \(plugin.command) returned no status.token")
        }
        var expiration: Date?
        if let stamp = credential.status?.expirationTimestamp {
            guard let date = RFC3339.parse(stamp) else {
                throw KubeClientError(.credentials,
                    "exec plugin \(plugin.command) returned an unparseable expirationTimestamp \(stamp)")
            }
            expiration = date
        }
        return Credential(token: token, expiration: expiration)
    }
}
