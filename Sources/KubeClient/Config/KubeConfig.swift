import Foundation

/// Everything needed to reach one API server as one user: where it is, how to
/// trust it, how to authenticate, and the default namespace.
///
/// Made by `load(kubeconfigPath:context:)` (a kubeconfig file),
/// `inCluster(root:)` (the service-account mount) or `automatic()`; or built
/// directly, e.g. `KubeConfig(server: "http://127.0.0.1:6443")` for the local
/// development cluster.
public struct KubeConfig: Sendable, Hashable {
    /// Base URL of the API server, `http://` or `https://`, without a trailing slash.
    public var server: String
    /// The namespace used when a call names none.
    public var namespace: String
    public var tls: TLSSettings
    public var credentials: Credentials
    /// The kubeconfig context this came from, if any.
    public var contextName: String?

    public init(
        server: String, namespace: String = "default", tls: TLSSettings = TLSSettings(),
        credentials: Credentials = .none, contextName: String? = nil
    ) {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        self.server = server
        self.namespace = namespace
        self.tls = tls
        self.credentials = credentials
        self.contextName = contextName
    }

    /// How the server is verified and how we present a client certificate.
    public struct TLSSettings: Sendable, Hashable {
        /// PEM bundle of trusted CAs; nil trusts the system roots.
        public var certificateAuthorityPEM: Data?
        public var insecureSkipTLSVerify: Bool
        /// PEM client certificate chain and key, for certificate authentication.
        public var clientCertificatePEM: Data?
        public var clientKeyPEM: Data?
        /// Overrides the name checked against the server certificate.
        public var serverName: String?

        public init(
            certificateAuthorityPEM: Data? = nil, insecureSkipTLSVerify: Bool = false,
            clientCertificatePEM: Data? = nil, clientKeyPEM: Data? = nil, serverName: String? = nil
        ) {
            self.certificateAuthorityPEM = certificateAuthorityPEM
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
            self.clientCertificatePEM = clientCertificatePEM
            self.clientKeyPEM = clientKeyPEM
            self.serverName = serverName
        }
    }

    /// How requests authenticate.
    public enum Credentials: Sendable, Hashable {
        case none
        /// A fixed bearer token.
        case token(String)
        /// A bearer token read from a file and re-read every `refreshInterval`
        /// (bound service-account tokens rotate).
        case tokenFile(path: String, refreshInterval: Duration)
        case basic(username: String, password: String)
        /// A `client.authentication.k8s.io/v1` exec credential plugin.
        case exec(ExecCredentialPlugin)
    }

    /// The `exec` member of a kubeconfig user.
    public struct ExecCredentialPlugin: Sendable, Hashable {
        public var apiVersion: String
        public var command: String
        public var args: [String]
        public var env: [String: String]
        public var installHint: String?
        /// Directory relative commands are resolved against (the kubeconfig's directory).
        public var baseDirectory: String?
        public var provideClusterInfo: Bool

        public init(
            apiVersion: String = "client.authentication.k8s.io/v1", command: String, args: [String] = [],
            env: [String: String] = [:], installHint: String? = nil, baseDirectory: String? = nil,
            provideClusterInfo: Bool = false
        ) {
            self.apiVersion = apiVersion
            self.command = command
            self.args = args
            self.env = env
            self.installHint = installHint
            self.baseDirectory = baseDirectory
            self.provideClusterInfo = provideClusterInfo
        }
    }

    /// Whether the server URL is `https`.
    public var usesTLS: Bool { server.lowercased().hasPrefix("https://") }
}

extension KubeConfig {
    /// The standard service-account mount.
    public static let serviceAccountRoot = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// `$KUBECONFIG` (its first file) if set; else the in-cluster config if
    /// `KUBERNETES_SERVICE_HOST` is set; else `~/.kube/config`.
    public static func automatic(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KubeConfig {
        if let paths = environment["KUBECONFIG"], !paths.isEmpty {
            let first = paths.split(separator: ":").map(String.init).first { FileManager.default.fileExists(atPath: $0) }
            guard let first else {
                throw KubeClientError(.configuration, "none of the files in KUBECONFIG (\(paths)) exists")
            }
            return try load(kubeconfigPath: first)
        }
        if environment["KUBERNETES_SERVICE_HOST"] != nil {
            return try inCluster(environment: environment)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return try load(kubeconfigPath: home + "/.kube/config")
    }

    /// The configuration of a pod's service account: the API server from
    /// `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`, the token (re-read
    /// every minute), CA and namespace from `root`.
    public static func inCluster(
        root: String = serviceAccountRoot,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        tokenRefreshInterval: Duration = .seconds(60)
    ) throws -> KubeConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeClientError(.configuration,
                "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set")
        }
        let tokenPath = root + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeClientError(.configuration, "in-cluster service-account token \(tokenPath) is missing or unreadable")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var tls = TLSSettings()
        if let ca = FileManager.default.contents(atPath: root + "/ca.crt") { tls.certificateAuthorityPEM = ca }
        let namespace = (try? String(contentsOfFile: root + "/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return KubeConfig(
            server: "https://\(hostPart):\(port)",
            namespace: (namespace?.isEmpty == false ? namespace! : "default"),
            tls: tls,
            credentials: .tokenFile(path: tokenPath, refreshInterval: tokenRefreshInterval),
            contextName: nil)
    }
}
