import KubeClient
import Yams

extension OpenAPISchema {
    /// This schema as a YAML node, keys in the order `kubectl explain` users
    /// expect (type and description first, properties last).
    public var yamlNode: Node {
        var pairs: [(String, Node)] = []
        if let type { pairs.append(("type", .scalarString(type.rawValue))) }
        pairs.append(("description", .scalarString(description)))
        if let format { pairs.append(("format", .scalarString(format))) }
        if let defaultValue { pairs.append(("default", Node(json: defaultValue))) }
        if let enumValues { pairs.append(("enum", .sequence(.init(enumValues.map(Node.scalarString))))) }
        if let minimum { pairs.append(("minimum", Node(number: minimum))) }
        if exclusiveMinimum { pairs.append(("exclusiveMinimum", Node(json: .bool(true)))) }
        if let maximum { pairs.append(("maximum", Node(number: maximum))) }
        if exclusiveMaximum { pairs.append(("exclusiveMaximum", Node(json: .bool(true)))) }
        if let minLength { pairs.append(("minLength", Node(number: Double(minLength)))) }
        if let maxLength { pairs.append(("maxLength", Node(number: Double(maxLength)))) }
        if let minItems { pairs.append(("minItems", Node(number: Double(minItems)))) }
        if let maxItems { pairs.append(("maxItems", Node(number: Double(maxItems)))) }
        if let pattern { pairs.append(("pattern", .scalarString(pattern))) }
        if intOrString { pairs.append(("x-kubernetes-int-or-string", Node(json: .bool(true)))) }
        if preserveUnknownFields { pairs.append(("x-kubernetes-preserve-unknown-fields", Node(json: .bool(true)))) }
        if let listType { pairs.append(("x-kubernetes-list-type", .scalarString(listType))) }
        if let listMapKeys { pairs.append(("x-kubernetes-list-map-keys", .sequence(.init(listMapKeys.map(Node.scalarString))))) }
        if let mapType { pairs.append(("x-kubernetes-map-type", .scalarString(mapType))) }
        if let items { pairs.append(("items", items.yamlNode)) }
        if let additionalProperties { pairs.append(("additionalProperties", additionalProperties.yamlNode)) }
        if !required.isEmpty { pairs.append(("required", .sequence(.init(required.map(Node.scalarString))))) }
        if !properties.isEmpty {
            pairs.append(("properties", .orderedMapping(properties.map { ($0.name, $0.schema.yamlNode) })))
        }
        if !validations.isEmpty {
            let rules = validations.map { rule in
                Node.orderedMapping([("rule", .scalarString(rule.rule)), ("message", .scalarString(rule.message))])
            }
            pairs.append(("x-kubernetes-validations", .sequence(.init(rules))))
        }
        return .orderedMapping(pairs)
    }
}

extension Node {
    /// A string scalar, quoted when it would otherwise read as another type.
    static func scalarString(_ value: String) -> Node {
        .scalar(value.represented())
    }

    /// A mapping whose keys keep the given order.
    static func orderedMapping(_ pairs: [(String, Node)]) -> Node {
        .mapping(.init(pairs.map { (Node.scalarString($0.0), $0.1) }))
    }

    /// A number, written as an integer when it is one.
    init(number: Double) {
        if number.rounded() == number, let integer = Int64(exactly: number) {
            self = .scalar(.init(String(integer), Tag(.int)))
        } else {
            self = .scalar(.init(String(number), Tag(.float)))
        }
    }

    /// A JSON value as YAML; object keys sorted so the output is stable.
    init(json: JSONValue) {
        switch json {
        case .null: self = .scalar(.init("null", Tag(.null)))
        case .bool(let value): self = .scalar(.init(value ? "true" : "false", Tag(.bool)))
        case .integer(let value): self = .scalar(.init(String(value), Tag(.int)))
        case .double(let value): self.init(number: value)
        case .string(let value): self = .scalarString(value)
        case .array(let values): self = .sequence(.init(values.map(Node.init(json:))))
        case .object(let members):
            self = .orderedMapping(members.sorted { $0.key < $1.key }.map { ($0.key, Node(json: $0.value)) })
        }
    }
}
