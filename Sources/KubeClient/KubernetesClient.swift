import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import Synchronization

/// A client of one Kubernetes API server.
///
/// Usage (all verbs are `async throws`; failures are `KubernetesAPIError` for
/// answers of the server and `KubeClientError` for everything else):
///
/// ```swift
/// let client = try KubernetesClient(config: .automatic())          // or KubeConfig(server: "http://127.0.0.1:6443")
/// let pods = client.resource(Pod.self)                              // also client.pods, client.services, ...
///
/// // list with selectors and pagination
/// let page = try await pods.list(in: .namespace("ml"), options: ListOptions(labelSelector: "app=x", limit: 100))
/// let all = try await pods.listAll(in: .allNamespaces)              // follows `continue` tokens
///
/// // get / create / update (PUT with the object's resourceVersion) / delete
/// var pod = try await pods.get("w-0", in: "ml")
/// let created = try await pods.create(Pod(metadata: ObjectMeta(name: "w-1", namespace: "ml"), spec: spec))
/// pod.metadata.labels = ["a": "b"]; pod = try await pods.update(pod)
/// try await pods.delete("w-1", in: "ml", options: DeleteOptions(propagationPolicy: .background))
///
/// // patches: merge, JSON patch, strategic merge, server-side apply
/// _ = try await pods.patch("w-0", in: "ml", .merge(["metadata": ["labels": ["x": "y"]]]))
/// _ = try await pods.apply(pod, fieldManager: "ringmaster", force: true)
///
/// // status subresource (only for HasStatusSubresource types)
/// _ = try await pods.patchStatus("w-0", in: "ml", .merge(["status": ["phase": "Running"]]))
/// _ = try await pods.updateStatus(pod)
///
/// // watch: a streaming AsyncThrowingStream of WatchEvent<Pod>
/// for try await event in try await pods.watch(in: .namespace("ml"), options: WatchOptions(resourceVersion: page.metadata.resourceVersion)) {
///     switch event.type { case .added, .modified, .deleted: use(event.object!); case .bookmark, .error: break }
/// }
///
/// // kinds without a model
/// let jobs = client.unstructured(ResourceDescriptor(group: "ringmaster.dev", version: "v1alpha1",
///                                                   kind: "TrainingJob", plural: "trainingjobs", namespaced: true))
/// _ = try await jobs.patchStatus("job", in: "ml", .merge(["status": ["phase": "Running"]]))
///
/// // pod logs
/// let text = try await pods.logs("w-0", in: "ml", options: PodLogOptions(tailLines: 100))
/// ```
///
/// Safe to use from any number of tasks at once. Every request passes the
/// client's token bucket (`ClientOptions.qps`/`burst`). GET and PUT are retried
/// after 429 (honouring Retry-After) and 500/502/503/504; PUT is safe to repeat
/// because the server checks its resourceVersion precondition. POST, PATCH and
/// DELETE are never retried. Every attempt is counted in
/// `rest_client_requests_total{code,method}` and reported to
/// `ClientOptions.requestObserver`.
public final class KubernetesClient: Sendable {
    public let config: KubeConfig
    public let options: ClientOptions
    let credentials: CredentialProvider
    let limiter: TokenBucketRateLimiter?
    let tlsConfiguration: TLSConfiguration?
    /// The scheme, host and port requests go to. With `tls-server-name`, its
    /// host is that name, and `http` connects it to the configured server.
    let baseURL: String
    /// The connection pool requests use.
    let http: HTTPClient
    let logger: Logger

    /// - Throws: `KubeClientError` (`.tls`) when TLS material cannot be loaded.
    public init(config: KubeConfig, options: ClientOptions = ClientOptions()) throws {
        self.config = config
        self.options = options
        self.credentials = CredentialProvider(credentials: config.credentials, clock: options.clock, server: config.server)
        self.limiter = options.qps.map { TokenBucketRateLimiter(qps: $0, burst: max(1, options.burst), clock: options.clock) }
        self.tlsConfiguration = config.usesTLS ? try Self.makeTLSConfiguration(config.tls) : nil
        if config.usesTLS, let serverName = config.tls.serverName, !serverName.isEmpty,
           var components = URLComponents(string: config.server), let host = components.host, host != serverName
        {
            // `tls-server-name`: connect to the configured host, but send that
            // name in SNI and check the server certificate against it.
            components.host = serverName
            guard let url = components.string else {
                throw KubeClientError(.configuration, "tls-server-name \(serverName) cannot stand in for the host of \(config.server)")
            }
            self.baseURL = url
            self.http = KubernetesHTTPClients.connecting(serverName, to: host)
        } else {
            self.baseURL = config.server
            self.http = kubernetesHTTPClient
        }
        self.logger = options.logger
    }

    /// A client of the cluster found by `KubeConfig.automatic()`.
    public static func automatic(options: ClientOptions = ClientOptions()) throws -> KubernetesClient {
        try KubernetesClient(config: KubeConfig.automatic(), options: options)
    }

    /// The verbs for a typed kind.
    public func resource<T: KubernetesResource>(_ type: T.Type) -> ResourceClient<T> {
        ResourceClient(client: self, descriptor: T.descriptor)
    }

    /// The verbs for any kind, with objects kept as JSON.
    public func unstructured(_ descriptor: ResourceDescriptor) -> ResourceClient<UnstructuredObject> {
        ResourceClient(client: self, descriptor: descriptor)
    }

    public var pods: ResourceClient<Pod> { resource(Pod.self) }
    public var services: ResourceClient<Service> { resource(Service.self) }
    public var persistentVolumeClaims: ResourceClient<PersistentVolumeClaim> { resource(PersistentVolumeClaim.self) }
    public var secrets: ResourceClient<Secret> { resource(Secret.self) }
    public var configMaps: ResourceClient<ConfigMap> { resource(ConfigMap.self) }
    public var namespaces: ResourceClient<Namespace> { resource(Namespace.self) }
    public var events: ResourceClient<Event> { resource(Event.self) }
    public var leases: ResourceClient<Lease> { resource(Lease.self) }

    static func makeTLSConfiguration(_ settings: KubeConfig.TLSSettings) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = settings.certificateAuthorityPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca)))
            }
            if let cert = settings.clientCertificatePEM, let key = settings.clientKeyPEM {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(cert)).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key), format: .pem))
            }
        } catch {
            throw KubeClientError(.tls, "cannot load TLS material from the configuration", underlying: error)
        }
        if settings.insecureSkipTLSVerify { tls.certificateVerification = .none }
        return tls
    }
}

/// The process-wide HTTP connection pool. It lives as long as the process, so
/// clients need no shutdown; redirects are not followed and there is no idle
/// read timeout (watches are idle for minutes; each request has a deadline).
let kubernetesHTTPClient = KubernetesHTTPClients.make(dnsOverride: [:])

/// The HTTP connection pools of the process. Like `kubernetesHTTPClient`,
/// each lives as long as the process.
enum KubernetesHTTPClients {
    private static let connectingByName = Mutex<[String: HTTPClient]>([:])

    /// The pool for a cluster whose kubeconfig sets `tls-server-name`:
    /// requests to `https://<serverName>...` connect to `host`, and TLS
    /// checks the server certificate against `serverName`. (The `Host`
    /// header carries `serverName` too; the API server does not read it.)
    static func connecting(_ serverName: String, to host: String) -> HTTPClient {
        connectingByName.withLock { clients in
            let key = "\(serverName)\u{0}\(host)"
            if let client = clients[key] { return client }
            let client = make(dnsOverride: [serverName: host])
            clients[key] = client
            return client
        }
    }

    static func make(dnsOverride: [String: String]) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: nil),
            decompression: .disabled)
        configuration.httpVersion = .http1Only
        configuration.dnsOverride = dnsOverride
        // Every watch holds an HTTP/1 connection for minutes: an operator's
        // informers alone exceed the default of 8 per host, which would starve
        // every other request.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        return HTTPClient(eventLoopGroupProvider: .shared(HTTPClient.defaultEventLoopGroup), configuration: configuration)
    }
}
