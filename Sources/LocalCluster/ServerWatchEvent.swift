import Foundation
import KubeClient

/// One event of a watch stream (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, `ERROR`).
struct ServerWatchEvent: Sendable {
    var type: String
    var object: JSONValue
    /// `object` as `JSONCoding.encode` writes it, when the committer already
    /// has those bytes (so that fan-out does not encode the object again).
    var encodedObject: Data?

    init(type: String, object: JSONValue, encodedObject: Data? = nil) {
        self.type = type
        self.object = object
        self.encodedObject = encodedObject
    }

    /// The wire form: `{"type":...,"object":...}`.
    var json: JSONValue { .object(["type": .string(type), "object": object]) }

    /// The wire form as one line, byte for byte what encoding `json` with
    /// `JSONCoding` gives (keys sorted: `object`, then `type`), plus a newline.
    var line: Data {
        guard let encodedObject else { return JSONCoding.encode(json) + Data("\n".utf8) }
        var line = Data(#"{"object":"#.utf8)
        line.append(encodedObject)
        // The type is one of the upper-case words above: nothing to escape.
        line.append(contentsOf: #","type":"\#(type)"}"#.utf8)
        line.append(contentsOf: "\n".utf8)
        return line
    }
}

/// Options of a list or watch request.
struct ListRequestOptions: Sendable {
    var labelSelector: LabelSelectorQuery?
    var fieldSelector: FieldSelectorQuery?
    var limit: Int?
    var continueToken: String?
    var resourceVersion: String?
    var sendInitialEvents: Bool = false
    var allowBookmarks: Bool = false
}

/// Options of a delete request (`metav1.DeleteRequestOptions` and query parameters).
struct DeleteRequestOptions: Sendable {
    var gracePeriodSeconds: Int64?
    var propagationPolicy: String?
    var preconditionUID: String?
    var preconditionResourceVersion: String?
}
