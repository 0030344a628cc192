import Foundation

/// Which request bodies the API server reads, by `Content-Type`, checked
/// before a body is parsed.
///
/// As on a real API server: create, update and delete bodies are JSON, YAML
/// or (built-in kinds only) protobuf; patches are one of the patch types.
/// Anything else (`text/plain`, form encodings, no `Content-Type` at all) is
/// `415 UnsupportedMediaType`. This is also what keeps a web page from
/// writing to the cluster: a browser sends a cross-site POST without a
/// preflight only as `text/plain`, a form encoding or `multipart/form-data`.
enum RequestMediaType {
    static let json = "application/json"
    static let yaml = "application/yaml"
    static let protobuf = "application/vnd.kubernetes.protobuf"
    static let patchTypes = [
        "application/json-patch+json", "application/merge-patch+json",
        "application/strategic-merge-patch+json", "application/apply-patch+yaml",
    ]
    /// Accepted as well, without being advertised: server-side apply sent as JSON.
    static let applyJSON = "application/apply-patch+json"

    /// The media type of a `Content-Type` header: lower case, without parameters.
    static func mediaType(of contentType: String) -> String {
        let bare = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return bare.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// The types a body of `method` on `type` may have, in the order the real server lists them.
    static func accepted(method: String, type: ResourceType) -> [String] {
        if method == "PATCH" { return type.supportsStrategicMerge ? patchTypes : patchTypes.filter { !$0.contains("strategic") } }
        return type.isCustom ? [json, yaml] : [json, yaml, protobuf]
    }

    /// Throws `415 UnsupportedMediaType` unless the request's body (if it has
    /// one; a PATCH always has) is of an accepted type.
    static func check(_ request: APIRequest, type: ResourceType) throws {
        let method = request.method
        guard ["POST", "PUT", "PATCH", "DELETE"].contains(method) else { return }
        if method != "PATCH" && request.body.isEmpty { return }
        let accepted = accepted(method: method, type: type)
        let given = mediaType(of: request.contentType)
        if accepted.contains(given) || (method == "PATCH" && given == applyJSON) { return }
        throw APIError(code: 415, reason: "UnsupportedMediaType",
                       message: "the body of the request was in an unknown format - accepted media types include: \(accepted.joined(separator: ", "))")
    }
}
