import Foundation

/// What a request asks to do, in the terms RBAC rules are written in (the
/// counterpart of Kubernetes' `authorizer.Attributes`).
///
/// A resource request has a verb (`get`, `list`, `watch`, `create`,
/// `update`, `patch`, `delete`, `deletecollection`, or one RBAC checks on
/// its own behalf such as `escalate`, `bind`), an API group, a resource and
/// optional subresource, namespace and name. Anything else is a
/// non-resource request: a path (`/version`, `/api`, `/apis/<group>`,
/// `/openapi/v3`, `/healthz`) and the lower-cased HTTP method as its verb.
struct RequestAttributes: Sendable, Hashable {
    var user: UserInfo
    var verb: String
    var isResourceRequest: Bool
    /// The request path; meaningful for non-resource requests.
    var path: String
    var apiGroup: String
    var apiVersion: String
    var resource: String
    var subresource: String
    /// Empty for cluster-scoped requests.
    var namespace: String
    /// Empty when the request names no object (list, create, deletecollection).
    var name: String

    init(user: UserInfo, verb: String, isResourceRequest: Bool, path: String, apiGroup: String, apiVersion: String,
         resource: String, subresource: String, namespace: String, name: String) {
        self.user = user
        self.verb = verb
        self.isResourceRequest = isResourceRequest
        self.path = path
        self.apiGroup = apiGroup
        self.apiVersion = apiVersion
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
    }

    /// The attributes of a resource request.
    static func resource(user: UserInfo, verb: String, group: String, version: String = "*", resource: String,
                         subresource: String = "", namespace: String = "", name: String = "") -> RequestAttributes {
        RequestAttributes(user: user, verb: verb, isResourceRequest: true, path: "", apiGroup: group, apiVersion: version,
                          resource: resource, subresource: subresource, namespace: namespace, name: name)
    }

    /// The attributes of a non-resource request.
    static func nonResource(user: UserInfo, verb: String, path: String) -> RequestAttributes {
        RequestAttributes(user: user, verb: verb, isResourceRequest: false, path: path, apiGroup: "", apiVersion: "",
                          resource: "", subresource: "", namespace: "", name: "")
    }

    /// `resource` or `resource/subresource`, as rules and messages spell it.
    var combinedResource: String { subresource.isEmpty ? resource : "\(resource)/\(subresource)" }

    /// The attributes of an API request, derived from its method, path and
    /// query alone, as the Kubernetes API server derives them before any
    /// handler runs (so that a request is authorized the same way whether or
    /// not what it names exists):
    ///
    /// - `/api/<version>/...` and `/apis/<group>/<version>/...` with a
    ///   resource are resource requests; shorter paths and every other path
    ///   are non-resource requests.
    /// - `/namespaces/<ns>/<resource>/...` sets the namespace; so does
    ///   `/namespaces/<ns>` itself (the namespace object is in its own
    ///   namespace for authorization, as on a real server).
    /// - GET without a name is `list`, or `watch` with `watch=true`; a
    ///   `fieldSelector` of `metadata.name=<n>` then names the object.
    ///   DELETE without a name is `deletecollection`. A `/watch/` prefix
    ///   makes the verb `watch`.
    init(_ request: APIRequest, user: UserInfo) {
        self = Self.nonResource(user: user, verb: request.method.lowercased(), path: request.path)
        var parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 3, parts[0] == "api" || parts[0] == "apis" else { return }
        let grouped = parts[0] == "apis"
        parts.removeFirst()
        if grouped {
            guard parts.count >= 3 else { return }
            apiGroup = parts.removeFirst()
        }
        isResourceRequest = true
        path = ""
        apiVersion = parts.removeFirst()
        if parts.first == "watch", parts.count >= 2, request.method == "GET" || request.method == "HEAD" {
            verb = "watch"
            parts.removeFirst()
        } else {
            switch request.method {
            case "GET", "HEAD": verb = "get"
            case "POST": verb = "create"
            case "PUT": verb = "update"
            case "PATCH": verb = "patch"
            case "DELETE": verb = "delete"
            default: verb = ""
            }
        }
        if parts.first == "namespaces", parts.count > 1 {
            namespace = parts[1]
            // `/namespaces/<ns>/status` and `/finalize` are subresources of the namespace itself.
            if parts.count > 2, parts[2] != "status", parts[2] != "finalize" { parts.removeFirst(2) }
        }
        if parts.count >= 1 { resource = parts[0] }
        if parts.count >= 2 { name = parts[1] }
        if parts.count >= 3 { subresource = parts[2] }
        if name.isEmpty && verb == "delete" { verb = "deletecollection" }
        if name.isEmpty && verb == "get" {
            let watch = request.query["watch"]
            verb = watch == "true" || watch == "1" ? "watch" : "list"
            if let selector = request.query["fieldSelector"], let named = Self.exactName(in: selector) { name = named }
        }
    }

    /// The name a field selector requires exactly (`metadata.name=x` or
    /// `metadata.name==x` among its terms), if any.
    private static func exactName(in selector: String) -> String? {
        for term in selector.split(separator: ",") {
            for prefix in ["metadata.name==", "metadata.name="] where term.hasPrefix(prefix) {
                let value = String(term.dropFirst(prefix.count))
                if !value.isEmpty, !value.contains("/"), value != ".", value != ".." { return value }
            }
        }
        return nil
    }
}
