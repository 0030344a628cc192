import Foundation
import KubeClient

/// Converts Kubernetes protobuf messages to `JSONValue` and back, field by
/// field, by the descriptor tables of a `ProtobufSchema`.
///
/// The JSON is what the Go types would marshal: JSON names, `omitempty`
/// zero values dropped, pointers' zero values kept, maps as objects, `bytes`
/// as base64, Time as RFC 3339, Quantity as its string, IntOrString as an
/// integer or a string. A field number or JSON key the tables do not know is
/// an error naming the message and the field, never silently dropped.
/// Pure and safe to use from any thread.
struct ProtobufConverter: Sendable {
    var schema: ProtobufSchema

    init(schema: ProtobufSchema = .kubernetes) {
        self.schema = schema
    }

    // MARK: protobuf -> JSON

    /// The JSON form of the message `name` held in `bytes` (or `range` of it).
    func json(from bytes: [UInt8], range: Range<Int>? = nil, message name: String) throws -> JSONValue {
        try decode(try message(name), ProtobufReader(bytes, range: range)) ?? .null
    }

    private func message(_ name: String) throws -> ProtobufSchema.Message {
        guard let message = schema.messages[name] else { throw ProtobufError("no protobuf schema for message \(name)") }
        return message
    }

    /// A message's JSON value; nil for a value JSON leaves out (a zero Time).
    private func decode(_ message: ProtobufSchema.Message, _ reader: ProtobufReader) throws -> JSONValue? {
        switch message.form {
        case .special: return try decodeSpecial(message, reader)
        case .stringArray:
            var reader = reader
            var items: [JSONValue] = []
            while let (number, wireType) = try reader.nextTag() {
                guard number == 1, wireType == ProtobufWireType.lengthDelimited.rawValue else {
                    throw ProtobufError("unknown field \(number) in message \(message.shortName)")
                }
                items.append(.string(String(decoding: reader.slice(try reader.readLengthDelimited()), as: UTF8.self)))
            }
            return .array(items)
        case .object: break
        }
        var reader = reader
        var object: [String: JSONValue] = [:]
        while let (number, wireType) = try reader.nextTag() {
            guard let field = message.byNumber[number] else {
                throw ProtobufError("unknown field \(number) in message \(message.shortName)")
            }
            switch field.cardinality {
            case .inline:
                if case .object(let members)? = try readValue(field.type, wireType: wireType, &reader, field: field, in: message) {
                    object.merge(members) { _, inner in inner }
                }
            case .single:
                let value = try readValue(field.type, wireType: wireType, &reader, field: field, in: message)
                if let value, !(field.zeroPolicy == .omitEmpty && Self.isZero(value, field.type)) {
                    object[field.jsonName] = value
                } else {
                    object[field.jsonName] = nil
                }
            case .repeated:
                var items = object[field.jsonName]?.arrayValue ?? []
                if case .scalar(let scalar) = field.type, scalar.wireType != .lengthDelimited, wireType == ProtobufWireType.lengthDelimited.rawValue {
                    // Packed: one length-delimited run of values.
                    var packed = reader.reader(for: try reader.readLengthDelimited())
                    while !packed.isAtEnd {
                        items.append(try readScalar(scalar, &packed))
                    }
                } else {
                    items.append(try readValue(field.type, wireType: wireType, &reader, field: field, in: message) ?? .null)
                }
                object[field.jsonName] = .array(items)
            case .map(let keyType):
                try expect(wireType, .lengthDelimited, field, message)
                var entry = reader.reader(for: try reader.readLengthDelimited())
                var key: JSONValue = Self.zero(.scalar(keyType))
                var value: JSONValue?
                while let (entryNumber, entryWireType) = try entry.nextTag() {
                    switch entryNumber {
                    case 1: key = try readValue(.scalar(keyType), wireType: entryWireType, &entry, field: field, in: message) ?? .null
                    case 2: value = try readValue(field.type, wireType: entryWireType, &entry, field: field, in: message)
                    default: throw ProtobufError("unknown field \(entryNumber) in an entry of \(message.shortName).\(field.jsonName)")
                    }
                }
                var map = object[field.jsonName]?.objectValue ?? [:]
                map[JSONCoding.plainText(key)] = value ?? Self.zero(field.type, schema: schema)
                object[field.jsonName] = .object(map)
            }
        }
        return .object(object)
    }

    private func expect(_ wireType: Int, _ expected: ProtobufWireType, _ field: ProtobufSchema.Field, _ message: ProtobufSchema.Message) throws {
        guard wireType == expected.rawValue else {
            throw ProtobufError("field \(field.number) (\(field.jsonName)) of message \(message.shortName) has wire type \(wireType), expected \(expected.rawValue)")
        }
    }

    private func readValue(_ type: ProtobufSchema.FieldType, wireType: Int, _ reader: inout ProtobufReader,
                           field: ProtobufSchema.Field, in message: ProtobufSchema.Message) throws -> JSONValue? {
        try expect(wireType, type.wireType, field, message)
        switch type {
        case .scalar(let scalar): return try readScalar(scalar, &reader)
        case .message(let name):
            return try decode(try self.message(name), reader.reader(for: try reader.readLengthDelimited()))
        }
    }

    private func readScalar(_ scalar: ProtobufSchema.Scalar, _ reader: inout ProtobufReader) throws -> JSONValue {
        switch scalar {
        case .string: return .string(String(decoding: reader.slice(try reader.readLengthDelimited()), as: UTF8.self))
        case .bytes: return .string(Data(reader.slice(try reader.readLengthDelimited())).base64EncodedString())
        case .bool: return .bool(try reader.readVarint() != 0)
        case .int32: return .integer(Int64(Int32(truncatingIfNeeded: try reader.readVarint())))
        case .int64: return .integer(Int64(bitPattern: try reader.readVarint()))
        case .uint32: return .integer(Int64(UInt32(truncatingIfNeeded: try reader.readVarint())))
        case .uint64: return .integer(Int64(bitPattern: try reader.readVarint()))
        case .double: return .double(Double(bitPattern: try reader.readFixed64()))
        case .float: return .double(Double(Float(bitPattern: try reader.readFixed32())))
        }
    }

    /// The fields of a special message by number, read as the scalars they are.
    private func specialFields(_ reader: ProtobufReader, _ message: ProtobufSchema.Message) throws -> [Int: JSONValue] {
        var reader = reader
        var values: [Int: JSONValue] = [:]
        while let (number, wireType) = try reader.nextTag() {
            guard let field = message.byNumber[number], case .scalar(let scalar) = field.type else {
                throw ProtobufError("unknown field \(number) in message \(message.shortName)")
            }
            try expect(wireType, scalar.wireType, field, message)
            values[number] = try readScalar(scalar, &reader)
        }
        return values
    }

    private func decodeSpecial(_ message: ProtobufSchema.Message, _ reader: ProtobufReader) throws -> JSONValue? {
        let fields = try specialFields(reader, message)
        switch message.shortName {
        case "Time", "MicroTime":
            // A zero Go time is written as an empty message; JSON shows it as null, so leave it out.
            if fields.isEmpty { return nil }
            let seconds = fields[1]?.intValue ?? 0
            let base = RFC3339.format(Date(timeIntervalSince1970: TimeInterval(seconds)))
            guard message.shortName == "MicroTime" else { return .string(base) }
            let micros = String((fields[2]?.intValue ?? 0) / 1000)
            return .string(String(base.dropLast()) + "." + String(repeating: "0", count: max(0, 6 - micros.count)) + micros + "Z")
        case "Quantity":
            return .string(fields[1]?.stringValue ?? "0")
        case "IntOrString":
            if fields[1]?.intValue == 1 { return .string(fields[3]?.stringValue ?? "") }
            return .integer(fields[2]?.intValue ?? 0)
        case "FieldsV1", "RawExtension":
            guard let encoded = fields[1]?.stringValue, let raw = Data(base64Encoded: encoded), !raw.isEmpty else { return nil }
            do { return try JSONCoding.decode(raw) } catch {
                throw ProtobufError("\(message.shortName) holds bytes that are not JSON")
            }
        default:
            throw ProtobufError("message \(message.shortName) has no JSON form")
        }
    }

    static func isZero(_ value: JSONValue, _ type: ProtobufSchema.FieldType) -> Bool {
        guard case .scalar = type else { return false }
        switch value {
        case .string(let text): return text.isEmpty
        case .integer(let number): return number == 0
        case .double(let number): return number == 0
        case .bool(let flag): return !flag
        default: return false
        }
    }

    private static func zero(_ type: ProtobufSchema.FieldType, schema: ProtobufSchema? = nil) -> JSONValue {
        switch type {
        case .scalar(.string), .scalar(.bytes): return .string("")
        case .scalar(.bool): return .bool(false)
        case .scalar(.double), .scalar(.float): return .double(0)
        case .scalar: return .integer(0)
        case .message(let name):
            switch schema?.messages[name]?.form {
            case .stringArray: return .array([])
            case .special: return name.hasSuffix(".Quantity") ? .string("0") : .null
            default: return .object([:])
            }
        }
    }

    // MARK: JSON -> protobuf

    /// The protobuf encoding of `value` as the message `name`.
    func protobuf(from value: JSONValue, message name: String) throws -> [UInt8] {
        var writer = ProtobufWriter()
        try encode(value, as: try message(name), into: &writer, path: "")
        return writer.bytes
    }

    private func encode(_ value: JSONValue, as message: ProtobufSchema.Message, into writer: inout ProtobufWriter, path: String) throws {
        switch message.form {
        case .special: return try encodeSpecial(value, as: message, into: &writer, path: path)
        case .stringArray:
            guard let items = value.arrayValue else { throw ProtobufError("\(path): expected an array of strings") }
            for item in items {
                guard let text = item.stringValue else { throw ProtobufError("\(path): expected an array of strings") }
                writer.writeStringField(1, text)
            }
            return
        case .object: break
        }
        guard let object = value.objectValue else { throw ProtobufError("\(path): expected an object for \(message.shortName)") }
        var fields: [(ProtobufSchema.Field, JSONValue)] = []
        var inlined: [Int: (ProtobufSchema.Field, [String: JSONValue])] = [:]
        for (key, value) in object {
            if case .null = value { continue }
            if message.byJSONName[key] == nil, let owner = message.inlineOwner[key] {
                inlined[owner.number, default: (owner, [:])].1[key] = value
                continue
            }
            guard let field = message.byJSONName[key] else {
                // Type metadata travels in the envelope (and list items carry none on the wire).
                if key == "apiVersion" || key == "kind" { continue }
                throw ProtobufError("unknown field \"\(Self.join(path, key))\" in message \(message.shortName)")
            }
            fields.append((field, value))
        }
        fields += inlined.values.map { ($0.0, JSONValue.object($0.1)) }
        fields.sort { $0.0.number < $1.0.number }
        for (field, value) in fields {
            let fieldPath = Self.join(path, field.jsonName)
            switch field.cardinality {
            case .inline:
                try encodeValue(value, field.type, number: field.number, into: &writer, path: path)
            case .single:
                try encodeValue(value, field.type, number: field.number, into: &writer, path: fieldPath)
            case .repeated:
                guard let items = value.arrayValue else { throw ProtobufError("\(fieldPath): expected an array") }
                for item in items { try encodeValue(item, field.type, number: field.number, into: &writer, path: fieldPath) }
            case .map(let keyType):
                guard let map = value.objectValue else { throw ProtobufError("\(fieldPath): expected an object") }
                for key in map.keys.sorted() {
                    var entry = ProtobufWriter()
                    let keyValue: JSONValue = keyType == .string ? .string(key) : .integer(Int64(key) ?? 0)
                    try encodeValue(keyValue, .scalar(keyType), number: 1, into: &entry, path: fieldPath)
                    if let item = map[key], item != .null {
                        try encodeValue(item, field.type, number: 2, into: &entry, path: "\(fieldPath)[\(key)]")
                    }
                    writer.writeBytesField(field.number, entry.bytes)
                }
            }
        }
    }

    private func encodeValue(_ value: JSONValue, _ type: ProtobufSchema.FieldType, number: Int, into writer: inout ProtobufWriter, path: String) throws {
        switch type {
        case .message(let name):
            var nested = ProtobufWriter()
            try encode(value, as: try message(name), into: &nested, path: path)
            writer.writeBytesField(number, nested.bytes)
        case .scalar(let scalar):
            switch scalar {
            case .string:
                guard let text = value.stringValue else { throw ProtobufError("\(path): expected a string") }
                writer.writeStringField(number, text)
            case .bytes:
                guard let text = value.stringValue, let data = Data(base64Encoded: text) else {
                    throw ProtobufError("\(path): expected base64-encoded bytes")
                }
                writer.writeBytesField(number, data)
            case .bool:
                guard case .bool(let flag) = value else { throw ProtobufError("\(path): expected a boolean") }
                writer.writeVarintField(number, flag ? 1 : 0)
            case .int32, .int64, .uint32, .uint64:
                guard let integer = Self.integer(value) else { throw ProtobufError("\(path): expected an integer") }
                writer.writeVarintField(number, UInt64(bitPattern: integer))
            case .double:
                guard let double = Self.double(value) else { throw ProtobufError("\(path): expected a number") }
                writer.writeFixed64Field(number, double.bitPattern)
            case .float:
                guard let double = Self.double(value) else { throw ProtobufError("\(path): expected a number") }
                writer.writeFixed32Field(number, Float(double).bitPattern)
            }
        }
    }

    private func encodeSpecial(_ value: JSONValue, as message: ProtobufSchema.Message, into writer: inout ProtobufWriter, path: String) throws {
        switch message.shortName {
        case "Time", "MicroTime":
            guard let text = value.stringValue, let date = RFC3339.parse(text) else { throw ProtobufError("\(path): expected an RFC 3339 time") }
            let interval = date.timeIntervalSince1970
            let seconds = interval.rounded(.down)
            let nanos = message.shortName == "MicroTime" ? Int64(((interval - seconds) * 1_000_000).rounded()) * 1000 : 0
            writer.writeVarintField(1, UInt64(bitPattern: Int64(seconds)))
            writer.writeVarintField(2, UInt64(bitPattern: nanos))
        case "Quantity":
            switch value {
            case .string(let text): writer.writeStringField(1, text)
            case .integer, .double: writer.writeStringField(1, JSONCoding.plainText(value))
            default: throw ProtobufError("\(path): expected a quantity")
            }
        case "IntOrString":
            switch value {
            case .string(let text):
                writer.writeVarintField(1, 1)
                writer.writeVarintField(2, 0)
                writer.writeStringField(3, text)
            default:
                guard let integer = Self.integer(value) else { throw ProtobufError("\(path): expected an integer or a string") }
                writer.writeVarintField(1, 0)
                writer.writeVarintField(2, UInt64(bitPattern: integer))
                writer.writeStringField(3, "")
            }
        case "FieldsV1", "RawExtension":
            writer.writeBytesField(1, JSONCoding.encode(value))
        default:
            throw ProtobufError("message \(message.shortName) has no JSON form")
        }
    }

    private static func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case .integer(let integer): return integer
        case .double(let double) where double.rounded() == double && abs(double) < 9.2e18: return Int64(double)
        default: return nil
        }
    }

    private static func double(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let integer): return Double(integer)
        case .double(let double): return double
        default: return nil
        }
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}
