/// Any Kubernetes object kept as JSON, for kinds without a typed model.
///
/// All members round-trip unchanged; `metadata` reads and writes the
/// `metadata` member through `ObjectMeta` (members `ObjectMeta` does not know
/// are preserved on write).
public struct UnstructuredObject: KubernetesObject, Hashable {
    public var json: JSONValue

    public init(_ json: JSONValue) { self.json = json }

    public init(from decoder: any Decoder) throws {
        json = try JSONValue(from: decoder)
        guard case .object = json else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a Kubernetes object must be a JSON object"))
        }
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    public var apiVersion: String? { json["apiVersion"]?.stringValue }
    public var kind: String? { json["kind"]?.stringValue }

    /// The object's metadata. Reading never fails (malformed metadata reads as
    /// empty); writing replaces the known members and keeps the others.
    public var metadata: ObjectMeta {
        get { (try? json["metadata"]?.decode(as: ObjectMeta.self)) ?? ObjectMeta() }
        set {
            var merged = json["metadata"]?.objectValue ?? [:]
            let known = ["name", "generateName", "namespace", "uid", "resourceVersion", "generation",
                         "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
                         "annotations", "ownerReferences", "finalizers", "managedFields"]
            for key in known { merged[key] = nil }
            if let encoded = (try? JSONValue(encoding: newValue))?.objectValue {
                for (key, value) in encoded { merged[key] = value }
            }
            json["metadata"] = .object(merged)
        }
    }
}
