import Foundation
import KubeClient

/// The `application/vnd.kubernetes.protobuf` body of the Kubernetes API: the
/// magic `k8s\0` followed by a `runtime.Unknown` message
/// {1: typeMeta {1: apiVersion, 2: kind}, 2: raw (the object's message),
/// 3: contentEncoding, 4: contentType}.
///
/// Objects go in and out as the JSON the rest of the server works with.
/// Only kinds the schema knows are converted; custom resources stay JSON, as
/// on a real API server.
enum KubernetesProtobuf {
    static let mediaType = "application/vnd.kubernetes.protobuf"
    static let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]

    /// The object a body holds, as JSON with its `apiVersion` and `kind`.
    ///
    /// `defaultAPIVersion`/`defaultKind` stand in when the envelope's type
    /// metadata is empty. Throws `ProtobufError` for a body that is not a
    /// Kubernetes protobuf message or holds an unknown field, and
    /// `UnknownKind` for a kind the schema does not know.
    static func decode(_ body: Data, defaultAPIVersion: String, defaultKind: String,
                       converter: ProtobufConverter = ProtobufConverter()) throws -> JSONValue {
        let bytes = [UInt8](body)
        guard bytes.count >= magic.count, Array(bytes.prefix(magic.count)) == magic else {
            throw ProtobufError("the body does not start with the Kubernetes protobuf prefix k8s\\0")
        }
        var reader = ProtobufReader(bytes, range: magic.count..<bytes.count)
        var apiVersion = "", kind = "", contentEncoding = ""
        var raw: Range<Int> = bytes.count..<bytes.count
        while let (number, wireType) = try reader.nextTag() {
            guard wireType == ProtobufWireType.lengthDelimited.rawValue else {
                throw ProtobufError("field \(number) of message Unknown has wire type \(wireType), expected 2")
            }
            let range = try reader.readLengthDelimited()
            switch number {
            case 1:
                var typeMeta = reader.reader(for: range)
                while let (field, fieldWireType) = try typeMeta.nextTag() {
                    guard field == 1 || field == 2, fieldWireType == ProtobufWireType.lengthDelimited.rawValue else {
                        throw ProtobufError("unknown field \(field) in message TypeMeta")
                    }
                    let text = String(decoding: typeMeta.slice(try typeMeta.readLengthDelimited()), as: UTF8.self)
                    if field == 1 { apiVersion = text } else { kind = text }
                }
            case 2: raw = range
            case 3: contentEncoding = String(decoding: reader.slice(range), as: UTF8.self)
            case 4: break
            default: throw ProtobufError("unknown field \(number) in message Unknown")
            }
        }
        guard contentEncoding.isEmpty else { throw ProtobufError("content encoding \(contentEncoding) is not supported") }
        if apiVersion.isEmpty { apiVersion = defaultAPIVersion }
        if kind.isEmpty { kind = defaultKind }
        guard let message = converter.schema.message(apiVersion: apiVersion, kind: kind) else {
            throw UnknownKind(apiVersion: apiVersion, kind: kind)
        }
        guard case .object(var object) = try converter.json(from: bytes, range: raw, message: message.name) else {
            throw ProtobufError("\(kind) is not an object")
        }
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        return .object(object)
    }

    /// The protobuf body of `object`, by its `apiVersion` and `kind`.
    ///
    /// Throws `UnknownKind` for a kind the schema does not know and
    /// `ProtobufError` for a field it does not know.
    static func encode(_ object: JSONValue, converter: ProtobufConverter = ProtobufConverter()) throws -> Data {
        let apiVersion = object["apiVersion"]?.stringValue ?? ""
        let kind = object["kind"]?.stringValue ?? ""
        guard let message = converter.schema.message(apiVersion: apiVersion, kind: kind) else {
            throw UnknownKind(apiVersion: apiVersion, kind: kind)
        }
        var typeMeta = ProtobufWriter()
        typeMeta.writeStringField(1, apiVersion)
        typeMeta.writeStringField(2, kind)
        var envelope = ProtobufWriter()
        envelope.writeBytesField(1, typeMeta.bytes)
        envelope.writeBytesField(2, try converter.protobuf(from: object, message: message.name))
        envelope.writeStringField(3, "")
        envelope.writeStringField(4, "")
        return Data(magic + envelope.bytes)
    }

    /// Whether an Accept header lists protobuf before JSON (as client-go's
    /// `application/vnd.kubernetes.protobuf,application/json` does).
    /// Media types with an `as=` parameter (Table, PartialObjectMetadata) ask
    /// for another form and do not count.
    static func isPreferred(accept: String) -> Bool {
        for entry in accept.split(separator: ",") {
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let type = parts.first?.lowercased() else { continue }
            if parts.dropFirst().contains(where: { $0.hasPrefix("as=") }) { continue }
            if type == mediaType { return true }
            if type == "application/json" || type == "*/*" || type == "application/*" || type.hasSuffix("yaml") { return false }
        }
        return false
    }

    /// Whether a Content-Type names the protobuf encoding.
    static func isProtobuf(contentType: String) -> Bool {
        contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == mediaType
    }

    /// A kind the protobuf tables have no message for.
    struct UnknownKind: Error, Sendable, Hashable, CustomStringConvertible {
        var apiVersion: String
        var kind: String

        var description: String { "no protobuf message for \(kind) in \(apiVersion.isEmpty ? "an empty apiVersion" : apiVersion)" }
    }
}

extension KubernetesProtobuf {
    /// The Content-Type of a protobuf watch stream.
    static let watchMediaType = "application/vnd.kubernetes.protobuf;stream=watch"

    /// Whether the watch of `type` can be streamed as protobuf: a built-in
    /// kind the tables know, not a Table watch.
    static func canWatch(_ type: ResourceType, table: Bool) -> Bool {
        !type.isCustom && !table && ProtobufSchema.kubernetes.message(apiVersion: type.apiVersion, kind: type.kind) != nil
    }

    /// One event of a protobuf watch stream: a 4-byte big-endian length, then
    /// a `WatchEvent` {1: type, 2: object (RawExtension {1: raw = the object's
    /// protobuf body})}. An object that cannot be encoded becomes an ERROR
    /// event whose Status says so, so the stream stays well-formed.
    static func watchFrame(_ event: ServerWatchEvent, converter: ProtobufConverter = ProtobufConverter()) -> Data {
        let type: String, object: Data
        do {
            (type, object) = (event.type, try encode(event.object, converter: converter))
        } catch {
            let status = APIError(code: 500, reason: "InternalError", message: "cannot encode a watch event as protobuf: \(error)").status
            // A Status is always in the tables.
            (type, object) = ("ERROR", (try? encode(status, converter: converter)) ?? Data())
        }
        var raw = ProtobufWriter()
        raw.writeBytesField(1, object)
        var watchEvent = ProtobufWriter()
        watchEvent.writeStringField(1, type)
        watchEvent.writeBytesField(2, raw.bytes)
        let length = UInt32(watchEvent.bytes.count)
        return Data([UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)] + watchEvent.bytes)
    }
}
