import Logging

/// Client-side behaviour of a `KubernetesClient`: rate limits, timeouts,
/// retries, the clock they use, and an observer of every request.
public struct ClientOptions: Sendable {
    /// Sustained requests per second (token bucket refill rate); nil disables the limiter.
    public var qps: Double?
    /// Requests that may be sent at once after an idle period.
    public var burst: Int
    /// Deadline for a whole non-watch request, answer body included.
    public var requestTimeout: Duration
    /// Retries of an idempotent request (GET, and PUT whose resourceVersion
    /// precondition makes a repeat harmless) after 429 or 500/502/503/504.
    /// POST, PATCH and DELETE are never retried.
    public var maxRetries: Int
    /// First retry delay; doubled per attempt up to `maxRetryDelay`. A
    /// `Retry-After` from the server takes precedence (capped at `maxRetryDelay`).
    public var retryBaseDelay: Duration
    public var maxRetryDelay: Duration
    public var clock: any RuntimeClock
    public var userAgent: String
    /// Called once per HTTP attempt with what was asked and what was answered.
    public var requestObserver: (@Sendable (RequestRecord) -> Void)?
    public var logger: Logger

    public init(
        qps: Double? = 20, burst: Int = 30, requestTimeout: Duration = .seconds(30), maxRetries: Int = 5,
        retryBaseDelay: Duration = .milliseconds(200), maxRetryDelay: Duration = .seconds(30),
        clock: any RuntimeClock = SystemClock(), userAgent: String = "ringmaster",
        requestObserver: (@Sendable (RequestRecord) -> Void)? = nil,
        logger: Logger = Logger(label: "ringmaster.kubeclient")
    ) {
        self.qps = qps
        self.burst = burst
        self.requestTimeout = requestTimeout
        self.maxRetries = maxRetries
        self.retryBaseDelay = retryBaseDelay
        self.maxRetryDelay = maxRetryDelay
        self.clock = clock
        self.userAgent = userAgent
        self.requestObserver = requestObserver
        self.logger = logger
    }
}

/// One HTTP request the client sent, for audit and RBAC derivation.
public struct RequestRecord: Sendable, Hashable {
    /// HTTP method, e.g. `GET`.
    public var method: String
    /// Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection.
    public var verb: String
    /// API group ("" for core).
    public var group: String
    public var version: String
    /// Plural resource name, e.g. `pods`.
    public var resource: String
    /// `status`, `log`, or nil.
    public var subresource: String?
    /// The path with names replaced by placeholders, e.g. `/api/v1/namespaces/{namespace}/pods/{name}`.
    public var pathTemplate: String
    /// Namespace of the request, nil for cluster-wide.
    public var namespace: String?
    /// HTTP status code, or nil when no answer arrived.
    public var statusCode: Int?

    public init(method: String, verb: String, group: String, version: String, resource: String,
                subresource: String?, pathTemplate: String, namespace: String?, statusCode: Int?) {
        self.method = method
        self.verb = verb
        self.group = group
        self.version = version
        self.resource = resource
        self.subresource = subresource
        self.pathTemplate = pathTemplate
        self.namespace = namespace
        self.statusCode = statusCode
    }
}

/// An in-memory log of requests, safe to use from any task: pass
/// `recorder.observe` as `ClientOptions.requestObserver`.
public final class RequestRecorder: Sendable {
    private let records = LockedState<[RequestRecord]>([])

    public init() {}

    public var observe: @Sendable (RequestRecord) -> Void {
        { [records] record in records.withLock { $0.append(record) } }
    }

    public var all: [RequestRecord] { records.withLock { $0 } }

    public func clear() { records.withLock { $0.removeAll() } }
}
