import KubeClient

/// A failed API request, answered as a Kubernetes `metav1.Status`.
///
/// `code` is the HTTP status; `reason` the machine-readable
/// `metav1.StatusReason` (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`,
/// `Gone`, `BadRequest`, `MethodNotAllowed`, `UnsupportedMediaType`, ...).
public struct APIError: Error, Sendable, CustomStringConvertible {
    /// One reason a request was invalid, naming the field it concerns.
    public struct Cause: Sendable, Hashable {
        public var reason: String
        public var message: String
        public var field: String

        public init(reason: String, message: String, field: String) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    public var code: Int
    public var reason: String
    public var message: String
    public var group: String?
    public var kind: String?
    public var name: String?
    public var causes: [Cause]

    public init(code: Int, reason: String, message: String, group: String? = nil, kind: String? = nil, name: String? = nil, causes: [Cause] = []) {
        self.code = code
        self.reason = reason
        self.message = message
        self.group = group
        self.kind = kind
        self.name = name
        self.causes = causes
    }

    public var description: String { "\(code) \(reason): \(message)" }

    /// The `metav1.Status` body of this error.
    public var status: JSONValue {
        var details: [String: JSONValue] = [:]
        if let name { details["name"] = .string(name) }
        if let group { details["group"] = .string(group) }
        if let kind { details["kind"] = .string(kind) }
        if !causes.isEmpty {
            details["causes"] = .array(causes.map {
                .object(["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)])
            })
        }
        var object: [String: JSONValue] = [
            "kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([:]),
            "status": .string("Failure"), "message": .string(message), "reason": .string(reason),
            "code": .integer(Int64(code)),
        ]
        if !details.isEmpty { object["details"] = .object(details) }
        return .object(object)
    }

    static func notFound(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(type.plural)\(type.groupSuffix) \"\(name)\" not found",
                 group: type.group, kind: type.plural, name: name)
    }

    static func alreadyExists(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(type.plural)\(type.groupSuffix) \"\(name)\" already exists",
                 group: type.group, kind: type.plural, name: name)
    }

    static func conflict(_ type: ResourceType, _ name: String, _ detail: String) -> APIError {
        APIError(code: 409, reason: "Conflict",
                 message: "Operation cannot be fulfilled on \(type.plural)\(type.groupSuffix) \"\(name)\": \(detail)",
                 group: type.group, kind: type.plural, name: name)
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    static func invalid(_ type: ResourceType, _ name: String, _ causes: [Cause]) -> APIError {
        let summary = causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ")
        let list = causes.count > 1 ? "[\(summary)]" : summary
        return APIError(code: 422, reason: "Invalid",
                        message: "\(type.kind)\(type.groupSuffix) \"\(name)\" is invalid: \(list)",
                        group: type.group, kind: type.kind, name: name, causes: causes)
    }

    static func methodNotAllowed(_ message: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }
}
