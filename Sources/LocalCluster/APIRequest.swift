import Foundation
import KubeClient

/// An HTTP request as the router sees it.
struct APIRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var accept: String
    var contentType: String
    var body: Data
    /// Who sent it, as the authenticator established; nil for a request
    /// that presented no credentials.
    var user: UserInfo?

    init(method: String, uri: String, accept: String, contentType: String, body: Data, user: UserInfo? = nil) {
        self.method = method
        self.user = user
        self.accept = accept
        self.contentType = contentType
        self.body = body
        // Form encoding sends spaces as '+' (`labelSelector=role+in+%28a%29`); a literal '+' arrives as %2B.
        let components = URLComponents(string: uri.replacingOccurrences(of: "+", with: "%20"))
        path = components?.percentEncodedPath.removingPercentEncoding ?? uri
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        self.query = query
    }

    /// Whether the client asked for server-side Table output.
    var wantsTable: Bool { accept.contains("as=Table") }
}

/// What the router answers: a complete response, or a stream the connection handler runs.
enum APIResponse: Sendable {
    case full(code: Int, contentType: String, body: Data)
    case watch(WatchPlan)
    case followLog(LogPlan)

    static func json(_ value: JSONValue, code: Int = 200) -> APIResponse {
        .full(code: code, contentType: "application/json", body: JSONCoding.encode(value))
    }

    static func error(_ error: APIError) -> APIResponse { .json(error.status, code: error.code) }
}

/// A watch the connection handler is to run.
struct WatchPlan: Sendable {
    var type: ResourceType
    var namespace: String?
    var options: ListRequestOptions
    var table: TableOptions?
    var timeout: Duration
    /// Stream events as length-prefixed protobuf `WatchEvent`s instead of JSON lines.
    var protobuf = false
}

/// A `kubectl logs -f` stream the connection handler is to run.
struct LogPlan: Sendable {
    var file: URL
    var offset: UInt64
    var type: ResourceType
    var namespace: String
    var pod: String
    /// What to send first (the existing log, after tailLines/limitBytes).
    var initial: Data
}
