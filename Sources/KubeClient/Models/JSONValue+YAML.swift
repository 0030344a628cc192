import Yams

/// A YAML document could not be represented as JSON.
public struct YAMLConversionError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

extension JSONValue {
    /// Converts a YAML node, typing scalars by their resolved tag (so a
    /// quoted `'True'` stays a string).
    public init(yamlNode node: Node) throws {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: self = .null
            case .bool:
                guard let value = Bool.construct(from: scalar) else {
                    throw YAMLConversionError(description: "not a boolean: \(scalar.string)")
                }
                self = .bool(value)
            case .int:
                guard let value = Int64.construct(from: scalar) else {
                    throw YAMLConversionError(description: "not an integer: \(scalar.string)")
                }
                self = .integer(value)
            case .float:
                guard let value = Double.construct(from: scalar) else {
                    throw YAMLConversionError(description: "not a number: \(scalar.string)")
                }
                self = .double(value)
            default: self = .string(scalar.string)
            }
        case .sequence(let sequence):
            self = .array(try sequence.map(JSONValue.init(yamlNode:)))
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else { throw YAMLConversionError(description: "a mapping key is not a string") }
                members[name] = try JSONValue(yamlNode: value)
            }
            self = .object(members)
        case .alias:
            throw YAMLConversionError(description: "YAML aliases are not supported")
        }
    }
}

extension JSONValue {
    /// Every document of a YAML stream, as JSON (empty documents skipped).
    public static func documents(yaml: String) throws -> [JSONValue] {
        var result: [JSONValue] = []
        var sequence = try Yams.compose_all(yaml: yaml)
        while let node = sequence.next() {
            result.append(try JSONValue(yamlNode: node))
        }
        // The sequence ends on a parse error too; do not lose it.
        if let error = sequence.error { throw error }
        return result
    }
}
