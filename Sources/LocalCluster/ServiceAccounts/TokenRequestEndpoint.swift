import Foundation
import KubeClient

/// `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`: the
/// TokenRequest API (`authentication.k8s.io/v1`), as kube-apiserver serves it.
///
/// - `spec.audiences`: defaults to the API server's audiences.
/// - `spec.expirationSeconds`: defaults to 3600; at least 600 and at most
///   2^32, else 422 naming `spec.expirationSeconds`.
/// - `spec.boundObjectRef`: a Pod (which must run as this ServiceAccount) or
///   a Secret in the namespace; its uid, if given, must match (409). The
///   token is valid only while that object exists.
/// - `metadata.name`/`namespace`, if given, must match the URL (422).
///
/// The answer (201) is the request with its defaults filled in and
/// `status.token`, `status.expirationTimestamp`. Reads objects under the
/// state's lock; writes nothing.
struct TokenRequestEndpoint {
    let state: ClusterState
    let issuer: ServiceAccountTokenIssuer

    static let minimumLifetime: Int64 = 600
    static let maximumLifetime: Int64 = 1 << 32
    static let defaultLifetime: Int64 = 3600
    static let kind = "TokenRequest"
    static let apiVersion = "authentication.k8s.io/v1"

    func create(namespace: String, serviceAccount name: String, body: JSONValue) throws -> JSONValue {
        guard case .object = body else { throw APIError.badRequest("the body of the request is not a JSON object") }
        if let kind = body["kind"]?.stringValue, !kind.isEmpty, kind != Self.kind {
            throw APIError.badRequest("the body of the request is a \(kind), not a \(Self.kind)")
        }
        var causes: [APIError.Cause] = []
        if let given = body["metadata"]?["name"]?.stringValue, !given.isEmpty, given != name {
            causes.append(.init(reason: "FieldValueInvalid",
                                message: "Invalid value: \"\(given)\": must match the service account name if specified", field: "metadata.name"))
        }
        if let given = body["metadata"]?["namespace"]?.stringValue, !given.isEmpty, given != namespace {
            causes.append(.init(reason: "FieldValueInvalid",
                                message: "Invalid value: \"\(given)\": must match the service account namespace if specified",
                                field: "metadata.namespace"))
        }
        let spec = body["spec"] ?? .object([:])
        var lifetime = Self.defaultLifetime
        if let value = spec["expirationSeconds"], value != .null {
            guard let seconds = value.intValue else {
                throw APIError.badRequest("spec.expirationSeconds must be an integer")
            }
            lifetime = seconds
        }
        if lifetime < Self.minimumLifetime {
            causes.append(.init(reason: "FieldValueInvalid",
                                message: "Invalid value: \(lifetime): may not specify a duration less than 10 minutes", field: "spec.expirationSeconds"))
        } else if lifetime > Self.maximumLifetime {
            causes.append(.init(reason: "FieldValueInvalid",
                                message: "Invalid value: \(lifetime): may not specify a duration larger than 2^32 seconds", field: "spec.expirationSeconds"))
        }
        var audiences = (spec["audiences"]?.arrayValue ?? []).compactMap(\.stringValue)
        for (index, audience) in audiences.enumerated() where audience.isEmpty {
            causes.append(.init(reason: "FieldValueInvalid", message: "Invalid value: \"\": may not be empty", field: "spec.audiences[\(index)]"))
        }
        if !causes.isEmpty {
            throw APIError(code: 422, reason: "Invalid",
                           message: "\(Self.kind).authentication.k8s.io \"\(name)\" is invalid: "
                               + (causes.count > 1 ? "[" : "") + causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ")
                               + (causes.count > 1 ? "]" : ""),
                           group: "authentication.k8s.io", kind: Self.kind, name: name, causes: causes)
        }
        if audiences.isEmpty { audiences = ServiceAccountTokenIssuer.defaultAudiences }

        let accountType = try coreType("serviceaccounts")
        let account = try state.get(accountType, namespace: namespace, name: name)
        let accountUID = account["metadata"]?["uid"]?.stringValue ?? ""

        var bound: (pod: ServiceAccountTokenClaims.ObjectReference?, secret: ServiceAccountTokenClaims.ObjectReference?) = (nil, nil)
        if let reference = spec["boundObjectRef"], reference != .null {
            bound = try bind(reference, namespace: namespace, serviceAccount: name)
        }
        let issued = try issuer.issue(
            namespace: namespace, serviceAccount: .init(name: name, uid: accountUID), pod: bound.pod, secret: bound.secret,
            audiences: audiences, lifetime: lifetime, now: state.now())

        var answerSpec = spec.objectValue ?? [:]
        answerSpec["audiences"] = .array(audiences.map(JSONValue.string))
        answerSpec["expirationSeconds"] = .integer(lifetime)
        var metadata = body["metadata"]?.objectValue ?? [:]
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(namespace)
        metadata["creationTimestamp"] = .null
        return .object([
            "kind": .string(Self.kind), "apiVersion": .string(Self.apiVersion), "metadata": .object(metadata),
            "spec": .object(answerSpec),
            "status": .object([
                "token": .string(issued.token),
                "expirationTimestamp": .string(state.timestamp(issued.expiration)),
            ]),
        ])
    }

    /// Checks `spec.boundObjectRef`; the Pod or Secret it names.
    private func bind(_ reference: JSONValue, namespace: String, serviceAccount: String) throws
        -> (pod: ServiceAccountTokenClaims.ObjectReference?, secret: ServiceAccountTokenClaims.ObjectReference?)
    {
        let kind = reference["kind"]?.stringValue ?? ""
        let apiVersion = reference["apiVersion"]?.stringValue ?? ""
        let name = reference["name"]?.stringValue ?? ""
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        let plural: String
        switch (group, kind) {
        case ("", "Pod"): plural = "pods"
        case ("", "Secret"): plural = "secrets"
        default:
            let version = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[1]) : apiVersion
            throw APIError.badRequest("cannot bind token to object of type \(group)/\(version), Kind=\(kind)")
        }
        let type = try coreType(plural)
        let object = try state.get(type, namespace: namespace, name: name)
        let uid = object["metadata"]?["uid"]?.stringValue ?? ""
        if plural == "pods" {
            let runsAs = object["spec"]?["serviceAccountName"]?.stringValue ?? ClusterState.defaultServiceAccount
            if runsAs != serviceAccount {
                throw APIError.badRequest("cannot bind token for serviceaccount \"\(serviceAccount)\" to pod running with serviceaccount \"\(runsAs)\"")
            }
        }
        if let expected = reference["uid"]?.stringValue, !expected.isEmpty, expected != uid {
            throw APIError(code: 409, reason: "Conflict",
                           message: "Operation cannot be fulfilled on \(kind) \"\(name)\": the UID in the bound object reference (\(expected)) does not match the UID in record (\(uid)). The object might have been deleted and then recreated",
                           kind: kind, name: name)
        }
        let bound = ServiceAccountTokenClaims.ObjectReference(name: name, uid: uid)
        return plural == "pods" ? (bound, nil) : (nil, bound)
    }

    private func coreType(_ plural: String) throws -> ResourceType {
        guard let type = state.type(group: "", version: "v1", plural: plural) else {
            throw APIError(code: 500, reason: "InternalError", message: "Internal error occurred: no \(plural) type")
        }
        return type
    }
}
