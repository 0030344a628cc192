import Foundation
import Yams

extension KubeConfig {
    /// Loads a kubeconfig file and resolves one context: `context` if given,
    /// else the file's `current-context`. Relative file paths in the file are
    /// resolved against the file's directory.
    public static func load(kubeconfigPath: String, context: String? = nil) throws -> KubeConfig {
        guard let data = FileManager.default.contents(atPath: kubeconfigPath) else {
            throw KubeClientError(.configuration, "cannot read kubeconfig \(kubeconfigPath)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KubeClientError(.configuration, "kubeconfig \(kubeconfigPath) is not UTF-8")
        }
        let baseDirectory = URL(fileURLWithPath: kubeconfigPath).deletingLastPathComponent().path
        return try parse(yaml: text, context: context, baseDirectory: baseDirectory, source: kubeconfigPath)
    }

    /// Parses kubeconfig YAML (see `load(kubeconfigPath:context:)`).
    public static func parse(yaml: String, context: String? = nil, baseDirectory: String,
                             source: String = "kubeconfig") throws -> KubeConfig {
        let file: KubeConfigFile
        do {
            file = try YAMLDecoder().decode(KubeConfigFile.self, from: yaml)
        } catch {
            throw KubeClientError(.configuration, "\(source) is not a valid kubeconfig", underlying: error)
        }
        guard let contextName = context ?? file.currentContext, !contextName.isEmpty else {
            throw KubeClientError(.configuration, "\(source) has no current-context and no context was given")
        }
        guard let namedContext = file.contexts?.first(where: { $0.name == contextName }) else {
            let known = (file.contexts ?? []).map(\.name).joined(separator: ", ")
            throw KubeClientError(.configuration, "context \"\(contextName)\" not found in \(source) (contexts: \(known))")
        }
        guard let cluster = file.clusters?.first(where: { $0.name == namedContext.context.cluster })?.cluster else {
            throw KubeClientError(.configuration,
                "cluster \"\(namedContext.context.cluster)\" of context \"\(contextName)\" not found in \(source)")
        }
        let user: KubeConfigFile.User?
        if let userName = namedContext.context.user, !userName.isEmpty {
            guard let found = file.users?.first(where: { $0.name == userName })?.user else {
                throw KubeClientError(.configuration,
                    "user \"\(userName)\" of context \"\(contextName)\" not found in \(source)")
            }
            user = found
        } else {
            user = nil
        }

        func resolve(_ path: String) -> String {
            if path.hasPrefix("/") { return path }
            if path.hasPrefix("~/") { return NSHomeDirectory() + path.dropFirst(1) }
            return baseDirectory + "/" + path
        }
        func material(data: String?, file: String?, what: String) throws -> Data? {
            if let data {
                guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                    throw KubeClientError(.configuration, "\(what)-data in \(source) is not valid base64")
                }
                return decoded
            }
            if let file {
                guard let contents = FileManager.default.contents(atPath: resolve(file)) else {
                    throw KubeClientError(.configuration, "cannot read \(what) file \(resolve(file)) named in \(source)")
                }
                return contents
            }
            return nil
        }

        var tls = TLSSettings()
        tls.insecureSkipTLSVerify = cluster.insecureSkipTLSVerify ?? false
        tls.serverName = cluster.tlsServerName
        tls.certificateAuthorityPEM = try material(
            data: cluster.certificateAuthorityData, file: cluster.certificateAuthority, what: "certificate-authority")
        tls.clientCertificatePEM = try material(
            data: user?.clientCertificateData, file: user?.clientCertificate, what: "client-certificate")
        tls.clientKeyPEM = try material(data: user?.clientKeyData, file: user?.clientKey, what: "client-key")
        if (tls.clientCertificatePEM == nil) != (tls.clientKeyPEM == nil) {
            throw KubeClientError(.configuration,
                "user of context \"\(contextName)\" in \(source) has a client certificate without a key or a key without a certificate")
        }

        var credentials = Credentials.none
        if let user {
            if let token = user.token, !token.isEmpty {
                credentials = .token(token)
            } else if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
                credentials = .tokenFile(path: resolve(tokenFile), refreshInterval: .seconds(60))
            } else if let exec = user.exec {
                var env: [String: String] = [:]
                for variable in exec.env ?? [] { env[variable.name] = variable.value }
                credentials = .exec(ExecCredentialPlugin(
                    apiVersion: exec.apiVersion ?? "client.authentication.k8s.io/v1",
                    command: exec.command, args: exec.args ?? [], env: env, installHint: exec.installHint,
                    baseDirectory: baseDirectory, provideClusterInfo: exec.provideClusterInfo ?? false))
            } else if let username = user.username, let password = user.password {
                credentials = .basic(username: username, password: password)
            }
        }
        guard let server = cluster.server, !server.isEmpty else {
            throw KubeClientError(.configuration, "cluster \"\(namedContext.context.cluster)\" in \(source) has no server")
        }
        return KubeConfig(
            server: server,
            namespace: namedContext.context.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            tls: tls, credentials: credentials, contextName: contextName)
    }
}

/// The subset of the kubeconfig file format (`clientcmd/api/v1.Config`) that is read.
struct KubeConfigFile: Decodable {
    var currentContext: String?
    var clusters: [NamedCluster]?
    var users: [NamedUser]?
    var contexts: [NamedContext]?

    enum CodingKeys: String, CodingKey {
        case currentContext = "current-context"
        case clusters, users, contexts
    }

    struct NamedCluster: Decodable {
        var name: String
        var cluster: Cluster
    }

    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var tlsServerName: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }

    struct NamedUser: Decodable {
        var name: String
        var user: User
    }

    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var password: String?
        var exec: Exec?

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, password, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
        }
    }

    struct Exec: Decodable {
        var apiVersion: String?
        var command: String
        var args: [String]?
        var env: [EnvEntry]?
        var installHint: String?
        var provideClusterInfo: Bool?
    }

    struct EnvEntry: Decodable {
        var name: String
        var value: String
    }

    struct NamedContext: Decodable {
        var name: String
        var context: Context
    }

    struct Context: Decodable {
        var cluster: String
        var user: String?
        var namespace: String?
    }
}
