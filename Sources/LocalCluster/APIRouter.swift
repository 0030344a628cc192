import Foundation
import KubeClient

/// Maps Kubernetes REST paths and verbs onto `ClusterState`.
///
/// `handle` is synchronous and may block on SQLite: call it off the event loop.
final class APIRouter: @unchecked Sendable {
    let state: ClusterState
    /// Signs the tokens of `serviceaccounts/token`; nil serves no TokenRequest API.
    let tokenIssuer: ServiceAccountTokenIssuer?
    /// Decides every request that carries a user.
    let authorizer: RBACAuthorizer
    private let lock = NSLock()
    private var address = ""

    init(state: ClusterState, tokenIssuer: ServiceAccountTokenIssuer? = nil) {
        self.state = state
        self.tokenIssuer = tokenIssuer
        authorizer = RBACAuthorizer(state: state)
    }

    /// `host:port` for `/api`'s serverAddressByClientCIDRs; set once bound.
    var serverAddress: String {
        get { lock.withLock { address } }
        set { lock.withLock { address = newValue } }
    }

    private var discovery: Discovery {
        let types = state.allTypes()
        var custom: [String: [String]] = [:]
        for group in Set(types.filter(\.isCustom).map(\.group)) { custom[group] = state.versions(ofCustomGroup: group) }
        return Discovery(types: types, customGroupVersions: custom, serverAddress: serverAddress)
    }

    /// The verb of a request, for fault injection and logging.
    static func verb(_ request: APIRequest) -> String {
        switch request.method {
        case "GET":
            if request.query["watch"] == "true" || request.query["watch"] == "1" { return "watch" }
            return "get"
        case "POST": return "create"
        case "PUT": return "update"
        case "PATCH": return "patch"
        case "DELETE": return "delete"
        default: return request.method.lowercased()
        }
    }

    func handle(_ request: APIRequest) -> APIResponse {
        let response: APIResponse
        do {
            try authorize(request)
            response = try route(request)
        } catch let error as APIError {
            response = .error(error)
        } catch {
            response = .error(APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(error)"))
        }
        return Self.negotiated(response, for: request)
    }

    /// The answer to a write: the object as the commit already encoded it
    /// when that is exactly `object`, else a fresh encoding.
    func written(_ object: JSONValue, code: Int = 200) -> APIResponse {
        .full(code: code, contentType: "application/json", body: state.takeEncoding(of: object) ?? JSONCoding.encode(object))
    }

    private func notFound() -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
    }

    private func route(_ request: APIRequest) throws -> APIResponse {
        let segments = request.path.split(separator: "/").map(String.init)
        switch segments.first {
        case "version": return .json(Discovery.version())
        case "healthz", "readyz", "livez": return .full(code: 200, contentType: "text/plain", body: Data("ok".utf8))
        case "openapi": return try openAPI(Array(segments.dropFirst()), accept: request.accept)
        case "api":
            if segments.count == 1 { return discovery.root(core: true, accept: request.accept) }
            guard segments[1] == "v1" else { throw notFound() }
            if segments.count == 2 { return .json(discovery.resourceList(group: "", version: "v1")!) }
            return try resource(request, group: "", version: "v1", rest: Array(segments.dropFirst(2)))
        case "apis":
            if segments.count == 1 { return discovery.root(core: false, accept: request.accept) }
            if let review = ReviewResource.at(segments) { return try self.review(review, request) }
            if segments.count == 2 {
                guard let group = discovery.group(segments[1]) else { throw notFound() }
                return .json(group)
            }
            if segments.count == 3 {
                guard let list = discovery.resourceList(group: segments[1], version: segments[2]) else { throw notFound() }
                return .json(list)
            }
            return try resource(request, group: segments[1], version: segments[2], rest: Array(segments.dropFirst(3)))
        default:
            throw notFound()
        }
    }

    private func openAPI(_ rest: [String], accept: String) throws -> APIResponse {
        let document = OpenAPIDocuments(types: state.allTypes())
        switch rest.first {
        case "v2" where rest.count == 1 && OpenAPIV2Protobuf.isRequested(by: accept):
            return .full(code: 200, contentType: OpenAPIV2Protobuf.contentType, body: OpenAPIV2Protobuf.encode(document.v2()))
        case "v2" where rest.count == 1: return .json(document.v2())
        case "v3":
            if rest.count == 1 { return .json(document.v3Index()) }
            let groupVersion = rest.dropFirst().joined(separator: "/")
            guard let doc = document.v3(path: groupVersion) else { throw notFound() }
            return .json(doc)
        default: throw notFound()
        }
    }

    private func resource(_ request: APIRequest, group: String, version: String, rest: [String]) throws -> APIResponse {
        var namespace: String?
        var parts = rest
        if parts.count >= 3, parts[0] == "namespaces", let candidate = state.type(group: group, version: version, plural: parts[2]), candidate.namespaced {
            namespace = parts[1]
            parts = Array(parts.dropFirst(2))
        }
        guard let plural = parts.first, let type = state.type(group: group, version: version, plural: plural) else { throw notFound() }
        if type.namespaced == false { namespace = nil }
        let name = parts.count > 1 ? parts[1] : nil
        let subresource = parts.count > 2 ? parts[2] : nil
        if parts.count > 3 { throw notFound() }
        if let subresource {
            let allowed = (subresource == "status" && type.hasStatus)
                || (type.group.isEmpty && type.plural == "pods" && (subresource == "log" || subresource == "binding"))
                || (type.group.isEmpty && type.plural == "serviceaccounts" && subresource == "token" && tokenIssuer != nil)
            if !allowed { throw notFound() }
        }
        try RequestMediaType.check(request, type: type)
        if ["POST", "PUT", "PATCH"].contains(request.method) {
            try ObjectValidator.validateRequestNamespace(namespace, type: type, name: name)
        }
        // fieldValidation=Strict (kubectl's default) rejects unknown fields of
        // custom resources; Warn and Ignore prune them silently.
        let strict = request.query["fieldValidation"] == "Strict"
        if let checked = try checkedRBACWrite(request, type: type, namespace: namespace, name: name) { return checked }
        let table = request.wantsTable ? TableOptions(includeObject: request.query["includeObject"] ?? "Metadata", apiVersion: "meta.k8s.io/v1") : nil

        switch (request.method, name) {
        case (let method, _?) where subresource == "token" && method != "POST":
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        case ("POST", let name?) where subresource == "token":
            let endpoint = TokenRequestEndpoint(state: state, issuer: tokenIssuer!)
            return .json(try endpoint.create(namespace: namespace ?? "", serviceAccount: name, body: try decodeBody(request, apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest")), code: 201)
        case ("GET", nil):
            let options = try listOptions(request, type)
            if request.query["watch"] == "true" || request.query["watch"] == "1" {
                let seconds = request.query["timeoutSeconds"].flatMap { Int($0) } ?? 1800
                return .watch(WatchPlan(type: type, namespace: namespace, options: options, table: table, timeout: .seconds(seconds)))
            }
            let list = try state.list(type, namespace: namespace, options: options)
            if let table {
                let converter = TableConverter(type: type, options: table, now: state.now())
                return .json(converter.table(list["items"]?.arrayValue ?? [], listMetadata: list["metadata"]))
            }
            return .json(list)
        case ("GET", let name?):
            if subresource == "log" { return try log(request, type: type, namespace: namespace ?? "", pod: name) }
            let object = try state.get(type, namespace: namespace, name: name)
            if let table { return .json(TableConverter(type: type, options: table, now: state.now()).table([object])) }
            return .json(object)
        case ("POST", nil):
            let body = try decodeBody(request, type)
            let dryRun = request.query["dryRun"] == "All"
            return written(try state.create(type, namespace: namespace, body: body, dryRun: dryRun, strictFields: strict), code: dryRun ? 200 : 201)
        case ("POST", let name?) where subresource == "binding":
            let body = try decodeBody(request, type)
            guard let node = body["target"]?["name"]?.stringValue else { throw APIError.badRequest("binding has no target.name") }
            let patch = JSONValue.object(["spec": .object(["nodeName": .string(node)])])
            _ = try state.patch(type, namespace: namespace, name: name, contentType: "application/merge-patch+json",
                                body: JSONCoding.encode(patch), subresource: nil, fieldManager: nil, force: false)
            return .json(.object(["kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([:]), "status": .string("Success"), "code": .integer(201)]), code: 201)
        case ("PUT", let name?):
            return written(try state.update(type, namespace: namespace, name: name, body: try decodeBody(request, type), subresource: subresource, strictFields: strict))
        case ("PATCH", let name?):
            return written(try state.patch(type, namespace: namespace, name: name, contentType: request.contentType, body: request.body,
                                         subresource: subresource, fieldManager: request.query["fieldManager"], force: request.query["force"] == "true",
                                         strictFields: strict))
        case ("DELETE", let name?):
            return written(try state.delete(type, namespace: namespace, name: name, options: try deleteOptions(request)))
        case ("DELETE", nil):
            let options = try listOptions(request, type)
            let list = try state.list(type, namespace: namespace, options: options)
            let deleteOpts = try deleteOptions(request)
            var deleted: [JSONValue] = []
            for item in list["items"]?.arrayValue ?? [] {
                guard let itemName = item["metadata"]?["name"]?.stringValue else { continue }
                if let object = try? state.delete(type, namespace: item["metadata"]?["namespace"]?.stringValue, name: itemName, options: deleteOpts) {
                    deleted.append(object)
                }
            }
            var result = list
            result["items"] = .array(deleted)
            return .json(result)
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    /// The JSON of a request body for a resource of `type` (YAML, JSON, or protobuf for built-in kinds).
    func decodeBody(_ request: APIRequest, _ type: ResourceType) throws -> JSONValue {
        try decodeBody(request, apiVersion: type.apiVersion, kind: type.kind, custom: type.isCustom)
    }

    /// The JSON of a request body whose kind, when a protobuf body leaves it
    /// unsaid, is `apiVersion`/`kind` (a subresource's own kind, such as TokenRequest).
    func decodeBody(_ request: APIRequest, apiVersion: String, kind: String, custom: Bool = false) throws -> JSONValue {
        if request.body.isEmpty { throw APIError.badRequest("the request has no body") }
        if request.contentType.contains("yaml") { return try YAMLConversion.decode(String(decoding: request.body, as: UTF8.self)) }
        if KubernetesProtobuf.isProtobuf(contentType: request.contentType) {
            return try decodeProtobufBody(request, apiVersion: apiVersion, kind: kind, custom: custom)
        }
        do { return try JSONCoding.decode(request.body) } catch {
            throw APIError.badRequest("the body of the request could not be decoded as JSON: \(error)")
        }
    }

    private func listOptions(_ request: APIRequest, _ type: ResourceType) throws -> ListRequestOptions {
        var options = ListRequestOptions()
        if let text = request.query["labelSelector"], !text.isEmpty { options.labelSelector = try LabelSelectorQuery(parsing: text) }
        if let text = request.query["fieldSelector"], !text.isEmpty { options.fieldSelector = try FieldSelectorQuery(parsing: text, type: type) }
        if let text = request.query["limit"] {
            guard let limit = Int(text), limit >= 0 else { throw APIError.badRequest("invalid limit: \(text)") }
            options.limit = limit
        }
        options.continueToken = request.query["continue"]
        options.resourceVersion = request.query["resourceVersion"]
        options.sendInitialEvents = request.query["sendInitialEvents"] == "true"
        options.allowBookmarks = request.query["allowWatchBookmarks"] == "true"
        return options
    }

    private func deleteOptions(_ request: APIRequest) throws -> DeleteRequestOptions {
        var options = DeleteRequestOptions()
        if !request.body.isEmpty, let body = try? decodeOptionsBody(request, kind: "DeleteOptions") {
            options.gracePeriodSeconds = body["gracePeriodSeconds"]?.intValue
            options.propagationPolicy = body["propagationPolicy"]?.stringValue
            options.preconditionUID = body["preconditions"]?["uid"]?.stringValue
            options.preconditionResourceVersion = body["preconditions"]?["resourceVersion"]?.stringValue
            if body["orphanDependents"]?.boolValue == true { options.propagationPolicy = "Orphan" }
        }
        if let grace = request.query["gracePeriodSeconds"].flatMap({ Int64($0) }) { options.gracePeriodSeconds = grace }
        if let policy = request.query["propagationPolicy"] { options.propagationPolicy = policy }
        if let policy = options.propagationPolicy, !["Foreground", "Background", "Orphan"].contains(policy) {
            throw APIError.badRequest("propagationPolicy must be one of Foreground, Background, Orphan; got \(policy)")
        }
        return options
    }

    private func log(_ request: APIRequest, type: ResourceType, namespace: String, pod: String) throws -> APIResponse {
        let object = try state.get(type, namespace: namespace, name: pod)
        let containers = (object["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let initContainers = (object["spec"]?["initContainers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let container: String
        if let requested = request.query["container"], !requested.isEmpty {
            guard containers.contains(requested) || initContainers.contains(requested) else {
                throw APIError.badRequest("container \(requested) is not valid for pod \(pod)")
            }
            container = requested
        } else if containers.count == 1 {
            container = containers[0]
        } else {
            throw APIError.badRequest("a container name must be specified for pod \(pod), choose one of: [\(containers.joined(separator: " "))]")
        }
        guard let file = try? state.layout.containerLog(namespace: namespace, pod: pod, container: container) else {
            throw APIError.badRequest("container \(container) is not valid for pod \(pod)")
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw APIError.badRequest("container \"\(container)\" in pod \"\(pod)\" is waiting to start: no log has been written yet")
        }
        var text = data
        if let tail = request.query["tailLines"].flatMap({ Int($0) }), tail >= 0 {
            var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last == "" { lines.removeLast() }
            text = Data((lines.suffix(tail).joined(separator: "\n") + (lines.isEmpty || tail == 0 ? "" : "\n")).utf8)
        }
        if let limit = request.query["limitBytes"].flatMap({ Int($0) }), limit >= 0, text.count > limit { text = text.prefix(limit) }
        if request.query["follow"] == "true" {
            return .followLog(LogPlan(file: file, offset: UInt64(data.count), type: type, namespace: namespace, pod: pod, initial: text))
        }
        return .full(code: 200, contentType: "text/plain", body: text)
    }
}
