import Foundation
import KubeClient

extension RBACPermission {
    /// The permission the API server's authorizer checks for one request,
    /// following Kubernetes' request-info rules: the verb comes from the
    /// method, plus whether a name is present (get/list, delete/deletecollection)
    /// and whether it is a watch (`?watch=true` or the legacy `/watch/` prefix).
    ///
    /// `path` is the request path with an optional query
    /// (`/apis/ringmaster.dev/v1alpha1/namespaces/ns/trainingjobs/x/status`).
    /// Returns nil for non-resource paths (`/version`, `/healthz`, discovery
    /// `/apis`), which RBAC grants through nonResourceURLs, never through rules.
    public static func fromRequest(method: String, path: String) -> RBACPermission? {
        let parts = path.split(separator: "?", maxSplits: 1)
        let query = parts.count > 1 ? String(parts[1]) : ""
        var segments = parts.first.map { $0.split(separator: "/").map(String.init) } ?? []

        let group: String
        if segments.first == "api", segments.count >= 2 {
            group = ""
            segments.removeFirst(2)
        } else if segments.first == "apis", segments.count >= 3 {
            group = segments[1]
            segments.removeFirst(3)
        } else {
            return nil
        }
        var isWatch = query.split(separator: "&").contains { $0 == "watch=true" || $0 == "watch=1" }
        if segments.first == "watch" {
            isWatch = true
            segments.removeFirst()
        }
        // namespaces/{ns}/<resource>... addresses a namespaced resource;
        // namespaces and namespaces/{name}[/sub] address the Namespace itself.
        if segments.first == "namespaces", segments.count >= 3 {
            segments.removeFirst(2)
        }
        guard let resource = segments.first else { return nil }
        let name = segments.count >= 2 ? segments[1] : nil
        let subresource = segments.count >= 3 ? segments[2] : nil

        let verb: String
        switch method.uppercased() {
        case "GET", "HEAD": verb = isWatch ? "watch" : (name == nil ? "list" : "get")
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = name == nil ? "deletecollection" : "delete"
        default: verb = method.lowercased()
        }
        return RBACPermission(
            apiGroup: group, resource: subresource.map { "\(resource)/\($0)" } ?? resource, verb: verb)
    }

    /// The permission a request recorded by `KubernetesClient`'s
    /// `ClientOptions.requestObserver` needed.
    public init(_ record: RequestRecord) {
        self.init(
            apiGroup: record.group,
            resource: record.subresource.map { "\(record.resource)/\($0)" } ?? record.resource,
            verb: record.verb)
    }

    /// Compares what a component was seen to use with what a role grants.
    ///
    /// `missing`: used but not granted (the component would be refused on a
    /// real cluster). `unused`: granted but never used (more privilege than
    /// the observed run needed; either the run did not exercise a path, or the
    /// grant should go).
    public static func audit(used: Set<RBACPermission>, granted: Set<RBACPermission>) -> (missing: [RBACPermission], unused: [RBACPermission]) {
        (used.subtracting(granted).sorted(), granted.subtracting(used).sorted())
    }
}
