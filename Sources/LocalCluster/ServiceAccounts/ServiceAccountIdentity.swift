import Foundation
import KubeClient

/// Gives a component (the operator, in `ringmaster local up --with-operator`
/// and in the tests) its own ServiceAccount on the local cluster, with the
/// RBAC manifests it ships, and a client configuration that authenticates as
/// that ServiceAccount: what `kubectl apply -k config/rbac` and a Pod's
/// projected token give it on a real cluster. The server then refuses
/// whatever the manifests do not grant.
public struct ServiceAccountIdentity: Sendable {
    /// Where the ServiceAccount lives (the manifests' `system` namespace
    /// placeholder, as kustomize's `namespace:` would rewrite it).
    public var namespace: String
    public var serviceAccount: String
    /// Where the manifests' namespaced Roles and RoleBindings go (the
    /// leader-election namespace); nil: `namespace`.
    public var roleNamespace: String?
    /// The lifetime asked for the token (the TokenRequest API allows up to 2^32 s).
    public var tokenLifetimeSeconds: Int64

    /// The namespace name the manifests in config/ use as a placeholder.
    public static let manifestNamespacePlaceholder = "system"

    public init(namespace: String, serviceAccount: String, roleNamespace: String? = nil, tokenLifetimeSeconds: Int64 = 365 * 86_400) {
        self.namespace = namespace
        self.serviceAccount = serviceAccount
        self.roleNamespace = roleNamespace
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
    }

    /// Creates the namespace, the ServiceAccount and every ServiceAccount,
    /// Role, ClusterRole, RoleBinding and ClusterRoleBinding in
    /// `manifests` (objects that exist already are left as they are), then
    /// asks for a token and returns `admin`'s configuration with that token
    /// as its only credential.
    public func configuration(admin: KubernetesClient, manifests: [JSONValue]) async throws -> KubeConfig {
        try await createIfAbsent(admin, Self.descriptor("Namespace")!, .object([
            "apiVersion": "v1", "kind": "Namespace", "metadata": .object(["name": .string(namespace)]),
        ]), namespace: nil)
        try await createIfAbsent(admin, Self.descriptor("ServiceAccount")!, .object([
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": .object(["name": .string(serviceAccount)]),
        ]), namespace: namespace)
        for document in manifests {
            guard let kind = document["kind"]?.stringValue, let descriptor = Self.descriptor(kind) else { continue }
            let placed = place(document, kind: kind)
            try await createIfAbsent(admin, descriptor, placed, namespace: descriptor.namespaced ? placed["metadata"]?["namespace"]?.stringValue : nil)
        }
        let answer = try await admin.requestServiceAccountToken(
            serviceAccount, in: namespace, TokenRequest(spec: TokenRequest.Spec(expirationSeconds: tokenLifetimeSeconds)))
        guard let token = answer.status?.token, !token.isEmpty else {
            throw KubeClientError(.configuration, "the API server issued no token for serviceaccount \(namespace)/\(serviceAccount)")
        }
        var config = admin.config
        config.tls.clientCertificatePEM = nil
        config.tls.clientKeyPEM = nil
        config.credentials = .token(token)
        return config
    }

    /// `document` with the placeholder namespace replaced: in the object's
    /// own metadata (Roles and RoleBindings go to `roleNamespace`) and in
    /// the ServiceAccount subjects of bindings.
    func place(_ document: JSONValue, kind: String) -> JSONValue {
        var object = document
        if let descriptor = Self.descriptor(kind), descriptor.namespaced {
            let target = kind == "ServiceAccount" ? namespace : (roleNamespace ?? namespace)
            object["metadata"]?["namespace"] = .string(target)
        }
        if let subjects = object["subjects"]?.arrayValue {
            object["subjects"] = .array(subjects.map { subject in
                var subject = subject
                if subject["kind"]?.stringValue == "ServiceAccount",
                   subject["namespace"]?.stringValue == Self.manifestNamespacePlaceholder || subject["namespace"] == nil {
                    subject["namespace"] = .string(namespace)
                }
                return subject
            })
        }
        return object
    }

    private func createIfAbsent(_ client: KubernetesClient, _ descriptor: ResourceDescriptor, _ object: JSONValue, namespace: String?) async throws {
        do {
            _ = try await client.unstructured(descriptor).create(UnstructuredObject(object), in: namespace)
        } catch let error as KubernetesAPIError where error.isAlreadyExists {
            return
        }
    }

    /// Every document of every YAML file in `directory` but
    /// kustomization.yaml, as `kubectl apply -k` reads config/rbac.
    public static func manifests(in directory: URL) throws -> [JSONValue] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && $0 != "kustomization.yaml" }.sorted()
        guard !files.isEmpty else { throw KubeClientError(.configuration, "no manifests in \(directory.path)") }
        return try files.flatMap { file in
            try JSONValue.documents(yaml: String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)).filter { $0 != .null }
        }
    }

    /// The kinds the RBAC manifests hold.
    static func descriptor(_ kind: String) -> ResourceDescriptor? {
        switch kind {
        case "Namespace": ResourceDescriptor(group: "", version: "v1", kind: kind, plural: "namespaces", namespaced: false)
        case "ServiceAccount": ResourceDescriptor(group: "", version: "v1", kind: kind, plural: "serviceaccounts", namespaced: true)
        case "Role": ResourceDescriptor(group: "rbac.authorization.k8s.io", version: "v1", kind: kind, plural: "roles", namespaced: true)
        case "RoleBinding":
            ResourceDescriptor(group: "rbac.authorization.k8s.io", version: "v1", kind: kind, plural: "rolebindings", namespaced: true)
        case "ClusterRole":
            ResourceDescriptor(group: "rbac.authorization.k8s.io", version: "v1", kind: kind, plural: "clusterroles", namespaced: false)
        case "ClusterRoleBinding":
            ResourceDescriptor(group: "rbac.authorization.k8s.io", version: "v1", kind: kind, plural: "clusterrolebindings", namespaced: false)
        default: nil
        }
    }
}
