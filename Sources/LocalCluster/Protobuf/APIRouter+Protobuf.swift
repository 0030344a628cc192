import Foundation
import KubeClient

/// Protobuf request and response bodies for built-in kinds.
extension APIRouter {
    /// The JSON of a protobuf request body whose kind, unless the body says, is `apiVersion`/`kind`.
    ///
    /// Custom resources and kinds the tables do not know get 415, as on a
    /// real API server; a malformed body or an unknown field gets 400 naming
    /// the message and field number.
    func decodeProtobufBody(_ request: APIRequest, apiVersion: String, kind: String, custom: Bool) throws -> JSONValue {
        if custom { throw Self.unsupportedMediaType(custom: true) }
        do {
            return try KubernetesProtobuf.decode(request.body, defaultAPIVersion: apiVersion, defaultKind: kind)
        } catch let error as ProtobufError {
            throw APIError.badRequest("the body of the request could not be decoded as \(KubernetesProtobuf.mediaType): \(error)")
        } catch is KubernetesProtobuf.UnknownKind {
            throw Self.unsupportedMediaType(custom: false)
        }
    }

    /// The body of a request that carries options (DeleteOptions), as JSON.
    func decodeOptionsBody(_ request: APIRequest, kind: String) throws -> JSONValue {
        if KubernetesProtobuf.isProtobuf(contentType: request.contentType) {
            return try KubernetesProtobuf.decode(request.body, defaultAPIVersion: "meta.k8s.io/v1", defaultKind: kind)
        }
        return try JSONCoding.decode(request.body)
    }

    static func unsupportedMediaType(custom: Bool) -> APIError {
        let types = custom
            ? "application/json, application/yaml"
            : "application/json, application/yaml, \(KubernetesProtobuf.mediaType)"
        return APIError(code: 415, reason: "UnsupportedMediaType",
                        message: "the body of the request was in an unknown format - accepted media types include: \(types)")
    }

    /// Whether a request path is under a group version whose kinds the
    /// tables know: everything a custom resource answers, errors included,
    /// stays JSON.
    private static func servesProtobuf(path: String) -> Bool {
        let segments = path.split(separator: "/")
        switch segments.first {
        case "api": return segments.count >= 2 && ProtobufSchema.kubernetes.knows(apiVersion: String(segments[1]))
        case "apis": return segments.count >= 3 && ProtobufSchema.kubernetes.knows(apiVersion: "\(segments[1])/\(segments[2])")
        default: return false
        }
    }

    /// `response` re-encoded as protobuf when the client lists protobuf
    /// before JSON and the answer is a JSON object of a kind the tables know;
    /// otherwise `response` unchanged (JSON stays the answer for custom
    /// resources, Tables, discovery and log streams). A watch of a known
    /// built-in kind streams protobuf frames under the same rule.
    static func negotiated(_ response: APIResponse, for request: APIRequest) -> APIResponse {
        if case .watch(var plan) = response, KubernetesProtobuf.isPreferred(accept: request.accept),
           KubernetesProtobuf.canWatch(plan.type, table: plan.table != nil) {
            plan.protobuf = true
            return .watch(plan)
        }
        guard case .full(let code, let contentType, let body) = response, contentType == "application/json",
              KubernetesProtobuf.isPreferred(accept: request.accept), servesProtobuf(path: request.path),
              let object = try? JSONCoding.decode(body),
              let encoded = try? KubernetesProtobuf.encode(object)
        else { return response }
        return .full(code: code, contentType: KubernetesProtobuf.mediaType, body: encoded)
    }
}
