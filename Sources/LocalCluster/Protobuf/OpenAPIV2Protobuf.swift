import Foundation
import KubeClient

/// `/openapi/v2` in protobuf, the form kubectl asks for
/// (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): the
/// gnostic `openapi.v2.Document` message, written from the JSON document.
///
/// kubectl reads it when the kind it validates is not in `/openapi/v3` (a
/// custom resource whose CRD is not installed yet); without a document it
/// can parse, `kubectl apply` failed on a protobuf parse error instead of
/// saying that no CRD serves the kind.
///
/// Written: the document's `swagger`, `info` (title, version), empty `paths`
/// and `definitions`; in each schema the keywords a structural schema uses
/// (`type`, `format`, `description`, `default`, bounds, `pattern`,
/// `required`, `enum`, `items`, `properties`, `additionalProperties`) and
/// `x-` extensions as vendor extensions. A value of type Any is written as
/// its YAML text (JSON, which YAML reads). Other keywords are left out.
enum OpenAPIV2Protobuf {
    /// The answer's content type, as kube-apiserver sends it: the type asked
    /// for has an `@`, which is not a valid media type for Go's parser.
    static let contentType = "application/octet-stream"
    /// Matches both spellings clients send (`...spec.v2@v1.0+protobuf`, and the older `...spec.v2.v1.0+protobuf`).
    static func isRequested(by accept: String) -> Bool { accept.contains("application/com.github.proto-openapi.spec.v2") }

    static func encode(_ document: JSONValue) -> Data {
        var writer = ProtobufWriter()
        if let swagger = document["swagger"]?.stringValue { writer.writeStringField(1, swagger) }
        if let info = document["info"] {
            var message = ProtobufWriter()
            if let title = info["title"]?.stringValue { message.writeStringField(1, title) }
            if let version = info["version"]?.stringValue { message.writeStringField(2, version) }
            writer.writeBytesField(2, message.bytes)
        }
        // Paths (8): this document lists no operations.
        writer.writeBytesField(8, [])
        var definitions = ProtobufWriter()
        for (name, schema) in (document["definitions"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            definitions.writeBytesField(1, namedSchema(name, schema))
        }
        writer.writeBytesField(9, definitions.bytes)
        return Data(writer.bytes)
    }

    /// `NamedSchema { name = 1; value = 2 }`.
    private static func namedSchema(_ name: String, _ schema: JSONValue) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.writeStringField(1, name)
        writer.writeBytesField(2, self.schema(schema))
        return writer.bytes
    }

    /// `Any { yaml = 2 }`.
    private static func any(_ value: JSONValue) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.writeStringField(2, String(decoding: JSONCoding.encode(value), as: UTF8.self))
        return writer.bytes
    }

    private static func schema(_ schema: JSONValue) -> [UInt8] {
        var writer = ProtobufWriter()
        guard let fields = schema.objectValue else { return [] }
        func double(_ number: Int, _ key: String) {
            if let value = fields[key]?.doubleValue { writer.writeFixed64Field(number, value.bitPattern) }
        }
        func integer(_ number: Int, _ key: String) {
            if let value = fields[key]?.doubleValue, let whole = Int64(exactly: value) {
                writer.writeVarintField(number, UInt64(bitPattern: whole))
            }
        }
        if let ref = fields["$ref"]?.stringValue { writer.writeStringField(1, ref) }
        if let format = fields["format"]?.stringValue { writer.writeStringField(2, format) }
        if let title = fields["title"]?.stringValue { writer.writeStringField(3, title) }
        if let description = fields["description"]?.stringValue { writer.writeStringField(4, description) }
        if let value = fields["default"] { writer.writeBytesField(5, any(value)) }
        double(7, "maximum")
        if fields["exclusiveMaximum"]?.boolValue == true { writer.writeVarintField(8, 1) }
        double(9, "minimum")
        if fields["exclusiveMinimum"]?.boolValue == true { writer.writeVarintField(10, 1) }
        integer(11, "maxLength")
        integer(12, "minLength")
        if let pattern = fields["pattern"]?.stringValue { writer.writeStringField(13, pattern) }
        integer(14, "maxItems")
        integer(15, "minItems")
        if fields["uniqueItems"]?.boolValue == true { writer.writeVarintField(16, 1) }
        integer(17, "maxProperties")
        integer(18, "minProperties")
        for name in fields["required"]?.arrayValue ?? [] {
            if let name = name.stringValue { writer.writeStringField(19, name) }
        }
        for value in fields["enum"]?.arrayValue ?? [] { writer.writeBytesField(20, any(value)) }
        if let additional = fields["additionalProperties"] {
            // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2 } }
            var item = ProtobufWriter()
            if let allowed = additional.boolValue {
                item.writeVarintField(2, allowed ? 1 : 0)
            } else {
                item.writeBytesField(1, self.schema(additional))
            }
            writer.writeBytesField(21, item.bytes)
        }
        if let type = fields["type"] {
            // TypeItem { repeated string value = 1 }
            var item = ProtobufWriter()
            for name in type.arrayValue ?? [type] {
                if let name = name.stringValue { item.writeStringField(1, name) }
            }
            writer.writeBytesField(22, item.bytes)
        }
        if let items = fields["items"] {
            // ItemsItem { repeated Schema schema = 1 }
            var item = ProtobufWriter()
            for element in items.arrayValue ?? [items] { item.writeBytesField(1, self.schema(element)) }
            writer.writeBytesField(23, item.bytes)
        }
        if let properties = fields["properties"]?.objectValue {
            // Properties { repeated NamedSchema additional_properties = 1 }
            var item = ProtobufWriter()
            for (name, property) in properties.sorted(by: { $0.key < $1.key }) {
                item.writeBytesField(1, namedSchema(name, property))
            }
            writer.writeBytesField(25, item.bytes)
        }
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) where name.hasPrefix("x-") {
            // NamedAny { name = 1; Any value = 2 }
            var item = ProtobufWriter()
            item.writeStringField(1, name)
            item.writeBytesField(2, any(value))
            writer.writeBytesField(31, item.bytes)
        }
        return writer.bytes
    }
}
