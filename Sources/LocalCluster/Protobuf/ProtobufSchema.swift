/// Descriptor tables for Kubernetes protobuf messages: for each message, each
/// field's number, JSON name, type and cardinality, and what a zero value read
/// from the wire becomes in JSON; and which message each built-in kind is.
///
/// `kubernetes` is built once from the generated `source` table; it is
/// immutable and safe to share across threads.
struct ProtobufSchema: Sendable {
    enum Scalar: String, Sendable {
        case string, bytes, bool, int32, int64, uint32, uint64, double, float

        var wireType: ProtobufWireType {
            switch self {
            case .string, .bytes: .lengthDelimited
            case .bool, .int32, .int64, .uint32, .uint64: .varint
            case .double: .fixed64
            case .float: .fixed32
            }
        }
    }

    enum FieldType: Sendable, Hashable {
        case scalar(Scalar)
        case message(String)

        var wireType: ProtobufWireType {
            switch self {
            case .scalar(let scalar): scalar.wireType
            case .message: .lengthDelimited
            }
        }
    }

    enum Cardinality: Sendable, Hashable {
        case single
        case repeated
        /// A map: on the wire, repeated entry messages {1: key, 2: value}.
        case map(key: Scalar)
        /// An embedded message whose fields JSON shows in the parent object
        /// (Go's `json:",inline"`: Volume's VolumeSource, Probe's handler).
        case inline
    }

    /// What a zero value (`""`, `0`, `false`) of a singular scalar read from the wire becomes in JSON.
    enum ZeroPolicy: Sendable, Hashable {
        /// Kept: the Go field is a pointer, so being on the wire means being set (`replicas: 0`).
        case presence
        /// Dropped: the Go field is a value with `omitempty`.
        case omitEmpty
        /// Kept: the Go field is a value shown even when zero.
        case keep
    }

    struct Field: Sendable, Hashable {
        var number: Int
        var jsonName: String
        var type: FieldType
        var cardinality: Cardinality
        var zeroPolicy: ZeroPolicy
    }

    /// How a message appears in JSON.
    enum Form: Sendable, Hashable {
        /// An object of its fields.
        case object
        /// A Go `[]string` in a message of one repeated field: a JSON array.
        case stringArray
        /// A type with its own JSON form (Time, MicroTime, Quantity, IntOrString, FieldsV1, RawExtension).
        case special
    }

    struct Message: Sendable {
        var name: String
        var form: Form
        /// Fields in number order.
        var fields: [Field]
        var byNumber: [Int: Field]
        var byJSONName: [String: Field]
        /// For each JSON name an inline field holds (at any depth), that inline field.
        var inlineOwner: [String: Field] = [:]

        /// The message name without its package (`ObjectMeta`).
        var shortName: String { String(name.split(separator: ".").last ?? Substring(name)) }
    }

    var messages: [String: Message]
    /// `apiVersion kind` (or `* kind` for any group version) -> message name.
    var kinds: [String: String]

    /// Whether the tables know kinds of this group version (`v1`, `apps/v1`);
    /// a custom resource's group version has none.
    func knows(apiVersion: String) -> Bool {
        kinds.keys.contains { $0.hasPrefix(apiVersion + " ") }
    }

    /// The message a kind is encoded as, or nil for a kind the tables do not know.
    func message(apiVersion: String, kind: String) -> Message? {
        guard let name = kinds["\(apiVersion) \(kind)"] ?? kinds["* \(kind)"] else { return nil }
        return messages[name]
    }

    /// The schema of the Kubernetes kinds the local API server serves.
    static let kubernetes: ProtobufSchema = {
        do {
            return try ProtobufSchema(parsing: source)
        } catch {
            preconditionFailure("the generated protobuf schema table does not parse: \(error)")
        }
    }()

    /// Reads the text form described at `source`.
    init(parsing text: String) throws {
        var messages: [String: Message] = [:]
        var kinds: [String: String] = [:]
        var current: Message?
        func finish() {
            if let message = current { messages[message.name] = message }
            current = nil
        }
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard let first = words.first else { continue }
            switch first {
            case "%":
                guard words.count == 4 else { throw ProtobufError("bad kind line: \(line)") }
                kinds["\(words[1]) \(words[2])"] = words[3]
            case "@":
                finish()
                guard words.count >= 2 else { throw ProtobufError("bad message line: \(line)") }
                let form: Form = words.count > 2 ? (words[2] == "array" ? .stringArray : .special) : .object
                current = Message(name: words[1], form: form, fields: [], byNumber: [:], byJSONName: [:])
            default:
                guard words.count == 5, let number = Int(words[0]), current != nil else { throw ProtobufError("bad field line: \(line)") }
                let type: FieldType = Scalar(rawValue: words[2]).map { .scalar($0) } ?? .message(words[2])
                let cardinality: Cardinality
                switch words[3] {
                case "1": cardinality = .single
                case "*": cardinality = .repeated
                case "inline": cardinality = .inline
                default:
                    guard words[3].hasPrefix("map:"), let key = Scalar(rawValue: String(words[3].dropFirst(4))) else {
                        throw ProtobufError("bad cardinality: \(line)")
                    }
                    cardinality = .map(key: key)
                }
                let policy: ZeroPolicy = words[4] == "p" ? .presence : (words[4] == "o" ? .omitEmpty : .keep)
                let field = Field(number: number, jsonName: words[1], type: type, cardinality: cardinality, zeroPolicy: policy)
                current?.fields.append(field)
                current?.byNumber[number] = field
                if cardinality != .inline { current?.byJSONName[field.jsonName] = field }
            }
        }
        finish()
        for message in messages.values {
            for field in message.fields {
                if case .message(let name) = field.type, messages[name] == nil {
                    throw ProtobufError("\(message.name) field \(field.number) refers to unknown message \(name)")
                }
            }
        }
        // The JSON names a message shows, its inline fields' included.
        func names(_ name: String, depth: Int) -> Set<String> {
            guard depth < 8, let message = messages[name] else { return [] }
            var result = Set(message.byJSONName.keys)
            for field in message.fields where field.cardinality == .inline {
                if case .message(let inner) = field.type { result.formUnion(names(inner, depth: depth + 1)) }
            }
            return result
        }
        for (name, message) in messages {
            for field in message.fields where field.cardinality == .inline {
                guard case .message(let inner) = field.type else { throw ProtobufError("\(name) field \(field.number) is inline but not a message") }
                for key in names(inner, depth: 0) { messages[name]?.inlineOwner[key] = field }
            }
        }
        self.messages = messages
        self.kinds = kinds
    }
}
