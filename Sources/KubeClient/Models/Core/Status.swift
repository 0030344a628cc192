/// `metav1.Status`: the body of every API error (and of some successful deletes).
public struct Status: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta?
    /// `Success` or `Failure`.
    public var status: String?
    public var message: String?
    /// `NotFound`, `AlreadyExists`, `Conflict`, `Expired`, `Gone`, `Invalid`, `TooManyRequests`, ...
    public var reason: String?
    public var details: StatusDetails?
    public var code: Int32?

    public init(
        status: String? = nil, message: String? = nil, reason: String? = nil,
        details: StatusDetails? = nil, code: Int32? = nil
    ) {
        self.apiVersion = "v1"
        self.kind = "Status"
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }
}

/// `metav1.StatusDetails`.
public struct StatusDetails: Codable, Sendable, Hashable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    public var causes: [StatusCause]?
    public var retryAfterSeconds: Int32?

    public init(
        name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil,
        causes: [StatusCause]? = nil, retryAfterSeconds: Int32? = nil
    ) {
        self.name = name
        self.group = group
        self.kind = kind
        self.uid = uid
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// `metav1.StatusCause`.
public struct StatusCause: Codable, Sendable, Hashable {
    public var reason: String?
    public var message: String?
    public var field: String?

    public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}
