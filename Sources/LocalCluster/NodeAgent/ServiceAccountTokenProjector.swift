import Foundation
import KubeClient
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gives one pod its ServiceAccount's token the way a kubelet projects it:
/// a token bound to the pod (TokenRequest API), the API server's CA and the
/// pod's namespace as `token`, `ca.crt` and `namespace` in
/// `Layout.serviceAccountDirectory` (directory 0700, files 0600, each
/// replaced atomically), refreshed once 80% of the token's lifetime has
/// passed. `ContainerLaunchBuilder` then shows that directory to the pod's
/// processes at `/var/run/secrets/kubernetes.io/serviceaccount`.
///
/// Whether a pod gets a token: `spec.automountServiceAccountToken` of the
/// pod, else of its ServiceAccount (`spec.serviceAccountName`, default
/// `default`), else yes. A ServiceAccount that does not exist is a
/// container-config error (the pod waits with `CreateContainerConfigError`
/// and is tried again), as on a kubelet.
///
/// ## When the agent is not root
/// Without CAP_SYS_ADMIN there is no private mount namespace, so nothing
/// can appear at the standard path for one pod only. The agent then still
/// writes the files, logs a warning naming the directory, and rewrites the
/// standard path to it in the container's env values, arguments and working
/// directory (as for volumes); it never falls back to a shared location or
/// to broader credentials. A client that reads the fixed path itself (client-go's
/// in-cluster config) finds no token there and fails closed.
struct ServiceAccountTokenProjector: Sendable {
    /// A token written for the pod.
    struct Projection: Sendable, Hashable {
        var directory: URL
        var issuedAt: Date
        var expiration: Date
    }

    let pod: Pod
    let configuration: NodeAgentConfiguration
    let api: any NodeAgentAPI
    let logger: Logger

    var namespace: String { pod.metadata.namespace ?? "default" }
    var podName: String { pod.metadata.name ?? "" }
    var accountName: String {
        let name = pod.spec?.serviceAccountName ?? ""
        return name.isEmpty ? ClusterState.defaultServiceAccount : name
    }
    var directory: URL { get throws(NodeAgentError) { try configuration.layout.serviceAccountDirectory(namespace: namespace, pod: podName) } }

    /// Writes the pod's token, CA and namespace; nil when the pod gets no
    /// token. Throws `containerConfig` for a missing ServiceAccount, API
    /// errors as they come (the caller retries).
    func project() async throws -> Projection? {
        if pod.spec?.automountServiceAccountToken == false { return nil }
        guard let account = try await api.serviceAccount(namespace: namespace, name: accountName) else {
            throw missingAccount()
        }
        if pod.spec?.automountServiceAccountToken == nil, account.json["automountServiceAccountToken"]?.boolValue == false {
            return nil
        }
        return try await refresh()
    }

    /// Asks for a new token and replaces the files.
    func refresh() async throws -> Projection {
        let asked = Date()
        let request = TokenRequest(spec: .init(
            expirationSeconds: configuration.serviceAccountTokenLifetime,
            boundObjectRef: .pod(name: podName, uid: pod.metadata.uid ?? "")))
        let answer: TokenRequest
        do {
            answer = try await api.requestToken(namespace: namespace, serviceAccount: accountName, request)
        } catch where error.isNotFoundAnswer {
            throw missingAccount()
        }
        guard let status = answer.status, !status.token.isEmpty, let expiration = RFC3339.parse(status.expirationTimestamp) else {
            throw NodeAgentError(.containerConfig, "the API server answered the token request for serviceaccount \(namespace)/\(accountName) without a token")
        }
        try write(token: status.token)
        return Projection(directory: try directory, issuedAt: asked, expiration: expiration)
    }

    private func missingAccount() -> NodeAgentError {
        NodeAgentError(.containerConfig, "error looking up service account \(namespace)/\(accountName): serviceaccount \"\(accountName)\" not found")
    }

    /// Writes `token`, `ca.crt` and `namespace` (0600) into the directory (0700).
    func write(token: String) throws(NodeAgentError) {
        let directory = try self.directory
        do {
            try PrivateFiles.makeDirectory(directory)
            try Self.replacePrivateFile(directory.appendingPathComponent("ca.crt"), with: configuration.certificateAuthorityPEM)
            try Self.replacePrivateFile(directory.appendingPathComponent("namespace"), with: Data(namespace.utf8))
            try Self.replacePrivateFile(directory.appendingPathComponent("token"), with: Data(token.utf8))
        } catch let error as NodeAgentError {
            throw error
        } catch {
            throw NodeAgentError(.fileSystem, "cannot write the service-account token into \(directory.path): \(error)")
        }
    }

    /// Replaces `file` by a new file (mode 0600) holding `data`, atomically:
    /// a reader sees the old contents or the new, never a part.
    static func replacePrivateFile(_ file: URL, with data: Data) throws(NodeAgentError) {
        do {
            try PrivateFiles.writeAtomically(data, to: file)
        } catch {
            throw NodeAgentError(.fileSystem, "cannot replace \(file.path): \(error)")
        }
    }

    /// When a token issued at `issuedAt` and expiring at `expiration` is to
    /// be replaced: once 80% of its lifetime has passed, as the kubelet does.
    static func refreshTime(issuedAt: Date, expiration: Date) -> Date {
        issuedAt.addingTimeInterval(expiration.timeIntervalSince(issuedAt) * 0.8)
    }

    /// Keeps the token fresh until the task is cancelled: refreshes at
    /// `refreshTime`, and after a failed refresh tries again every
    /// `retryInterval` (the old token stays in place meanwhile).
    func keepFresh(_ initial: Projection) async {
        var current = initial
        var due = Self.refreshTime(issuedAt: current.issuedAt, expiration: current.expiration)
        while !Task.isCancelled {
            let wait = due.timeIntervalSinceNow
            if wait > 0 {
                do { try await Task.sleep(for: .milliseconds(Int64(wait * 1000) + 1)) } catch { return }
                continue
            }
            do {
                current = try await refresh()
                due = Self.refreshTime(issuedAt: current.issuedAt, expiration: current.expiration)
                logger.debug("service-account token refreshed", metadata: ["expires": "\(RFC3339.format(current.expiration))"])
            } catch {
                if Task.isCancelled { return }
                logger.warning("cannot refresh the service-account token: \(error)")
                let retry = configuration.retryInterval
                due = Date().addingTimeInterval(Double(retry.components.seconds) + Double(retry.components.attoseconds) / 1e18)
            }
        }
    }
}
