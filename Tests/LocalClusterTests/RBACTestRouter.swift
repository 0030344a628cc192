import Foundation
import KubeClient
@testable import LocalCluster

/// A cluster state in a fresh directory with the bootstrap policy, and the
/// router over it, for tests that send requests as a given user without a
/// socket. Removes its directory when released.
final class RBACTestRouter {
    struct Answer {
        var code: Int
        var body: JSONValue
        var message: String { body["message"]?.stringValue ?? "" }
    }

    static let admin = UserInfo(name: "ringmaster-admin", groups: [UserInfo.mastersGroup, UserInfo.authenticatedGroup])

    let directory: URL
    let state: ClusterState
    let router: APIRouter

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-rbac-\(UUID().uuidString)")
        state = try ClusterState(layout: Layout(dataDirectory: directory), eventWindow: 1000)
        try BootstrapPolicy.ensure(in: state)
        router = APIRouter(state: state)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// A user in `system:authenticated` (and `groups`).
    static func user(_ name: String, groups: [String] = []) -> UserInfo {
        UserInfo(name: name, groups: groups + [UserInfo.authenticatedGroup])
    }

    /// Sends one request through the router (authorization included).
    @discardableResult
    func send(_ method: String, _ uri: String, _ body: JSONValue? = nil, as user: UserInfo?,
              contentType: String = "application/json") -> Answer {
        let data = body.map(JSONCoding.encode) ?? Data()
        let request = APIRequest(method: method, uri: uri, accept: "application/json", contentType: contentType, body: data, user: user)
        switch router.handle(request) {
        case .full(let code, _, let body):
            return Answer(code: code, body: (try? JSONCoding.decode(body)) ?? .string(String(decoding: body, as: UTF8.self)))
        case .watch: return Answer(code: 200, body: .string("watch"))
        case .followLog: return Answer(code: 200, body: .string("follow"))
        }
    }

    /// Creates objects as the admin, failing loudly if one is refused.
    func apply(_ objects: [JSONValue]) throws {
        for object in objects {
            let kind = object["kind"]?.stringValue ?? ""
            let namespace = object["metadata"]?["namespace"]?.stringValue
            guard let path = Self.collectionPath(kind: kind, namespace: namespace) else { throw Failure(message: "no path for \(kind)") }
            let answer = send("POST", path, object, as: Self.admin)
            guard answer.code == 201 else { throw Failure(message: "creating \(kind): \(answer.code) \(answer.message)") }
        }
    }

    static func collectionPath(kind: String, namespace: String?) -> String? {
        let rbac = "/apis/rbac.authorization.k8s.io/v1"
        switch kind {
        case "Role": return "\(rbac)/namespaces/\(namespace ?? "default")/roles"
        case "RoleBinding": return "\(rbac)/namespaces/\(namespace ?? "default")/rolebindings"
        case "ClusterRole": return "\(rbac)/clusterroles"
        case "ClusterRoleBinding": return "\(rbac)/clusterrolebindings"
        case "Namespace": return "/api/v1/namespaces"
        case "ServiceAccount": return "/api/v1/namespaces/\(namespace ?? "default")/serviceaccounts"
        case "ConfigMap": return "/api/v1/namespaces/\(namespace ?? "default")/configmaps"
        case "Secret": return "/api/v1/namespaces/\(namespace ?? "default")/secrets"
        default: return nil
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// Small builders for RBAC objects in tests.
enum RBACFixtures {
    static func rule(_ verbs: [String], _ groups: [String] = [""], _ resources: [String], names: [String] = []) -> JSONValue {
        var rule: [String: JSONValue] = [
            "verbs": .array(verbs.map(JSONValue.string)), "apiGroups": .array(groups.map(JSONValue.string)),
            "resources": .array(resources.map(JSONValue.string)),
        ]
        if !names.isEmpty { rule["resourceNames"] = .array(names.map(JSONValue.string)) }
        return .object(rule)
    }

    static func urls(_ verbs: [String], _ urls: [String]) -> JSONValue {
        .object(["verbs": .array(verbs.map(JSONValue.string)), "nonResourceURLs": .array(urls.map(JSONValue.string))])
    }

    static func role(_ name: String, namespace: String? = nil, _ rules: [JSONValue], labels: [String: String] = [:]) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues(JSONValue.string)) }
        return .object([
            "apiVersion": .string("rbac.authorization.k8s.io/v1"), "kind": .string(namespace == nil ? "ClusterRole" : "Role"),
            "metadata": .object(metadata), "rules": .array(rules),
        ])
    }

    /// A subject: `User`, `Group`, or `ServiceAccount` (`namespace` for the last).
    static func subject(_ kind: String, _ name: String, namespace: String? = nil) -> JSONValue {
        var subject: [String: JSONValue] = ["kind": .string(kind), "name": .string(name)]
        if kind != "ServiceAccount" { subject["apiGroup"] = .string("rbac.authorization.k8s.io") }
        if let namespace { subject["namespace"] = .string(namespace) }
        return .object(subject)
    }

    /// A RoleBinding when `namespace` is given, else a ClusterRoleBinding.
    static func binding(_ name: String, namespace: String? = nil, roleKind: String, role: String, _ subjects: [JSONValue]) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        return .object([
            "apiVersion": .string("rbac.authorization.k8s.io/v1"), "kind": .string(namespace == nil ? "ClusterRoleBinding" : "RoleBinding"),
            "metadata": .object(metadata),
            "roleRef": .object(["apiGroup": .string("rbac.authorization.k8s.io"), "kind": .string(roleKind), "name": .string(role)]),
            "subjects": .array(subjects),
        ])
    }
}
