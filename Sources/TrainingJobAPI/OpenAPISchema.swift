import KubeClient

/// One node of a CRD's structural OpenAPI v3 schema, built in Swift and
/// rendered into the CRD by `TrainingJobCRD`.
///
/// Build with the static constructors (`.object`, `.string`, `.integer`, ...)
/// and refine with the modifiers (`.rule`, `.defaulting`, `.immutable`).
/// Every constructor takes a description, so no property can lack one.
public struct OpenAPISchema: Sendable, Hashable {
    /// The OpenAPI `type`; nil for int-or-string and preserve-unknown-fields nodes.
    public enum Kind: String, Sendable, Hashable {
        case object, array, string, integer, number, boolean
    }

    /// A CEL rule (`x-kubernetes-validations`).
    public struct Rule: Sendable, Hashable {
        public var rule: String
        public var message: String
        public init(_ rule: String, message: String) {
            self.rule = rule
            self.message = message
        }
    }

    /// A named member of an object schema, in declaration order.
    public struct Property: Sendable, Hashable {
        public var name: String
        public var schema: OpenAPISchema
    }

    public var type: Kind?
    public var description: String
    public var format: String?
    public var defaultValue: JSONValue?
    public var enumValues: [String]?
    public var minimum: Double?
    public var maximum: Double?
    public var exclusiveMinimum: Bool = false
    public var exclusiveMaximum: Bool = false
    public var minLength: Int?
    public var maxLength: Int?
    public var minItems: Int?
    public var maxItems: Int?
    public var pattern: String?
    public var properties: [Property] = []
    public var required: [String] = []
    // Arrays hold the single child schema so that the struct can recurse.
    private var itemsStorage: [OpenAPISchema] = []
    private var additionalPropertiesStorage: [OpenAPISchema] = []
    public var intOrString = false
    public var preserveUnknownFields = false
    public var listType: String?
    public var listMapKeys: [String]?
    public var mapType: String?
    public var validations: [Rule] = []

    public var items: OpenAPISchema? {
        get { itemsStorage.first }
        set { itemsStorage = newValue.map { [$0] } ?? [] }
    }

    public var additionalProperties: OpenAPISchema? {
        get { additionalPropertiesStorage.first }
        set { additionalPropertiesStorage = newValue.map { [$0] } ?? [] }
    }

    init(type: Kind?, description: String) {
        self.type = type
        self.description = description
    }

    /// The property named `name`, if this is an object schema that declares it.
    public func property(_ name: String) -> OpenAPISchema? {
        properties.first { $0.name == name }?.schema
    }
}

// MARK: - Constructors

extension OpenAPISchema {
    public static func object(
        _ description: String, required: [String] = [], _ properties: KeyValuePairs<String, OpenAPISchema>
    ) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .object, description: description)
        schema.properties = properties.map { Property(name: $0.key, schema: $0.value) }
        schema.required = required
        return schema
    }

    /// An object whose keys are free and whose values all follow `values`.
    public static func map(_ description: String, values: OpenAPISchema) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .object, description: description)
        schema.additionalProperties = values
        return schema
    }

    public static func array(
        _ description: String, of items: OpenAPISchema, minItems: Int? = nil, maxItems: Int? = nil
    ) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .array, description: description)
        schema.items = items
        schema.minItems = minItems
        schema.maxItems = maxItems
        return schema
    }

    public static func string(
        _ description: String, default defaultValue: String? = nil, enum enumValues: [String]? = nil,
        pattern: String? = nil, minLength: Int? = nil, maxLength: Int? = nil, format: String? = nil
    ) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .string, description: description)
        schema.defaultValue = defaultValue.map(JSONValue.string)
        schema.enumValues = enumValues
        schema.pattern = pattern
        schema.minLength = minLength
        schema.maxLength = maxLength
        schema.format = format
        return schema
    }

    public static func integer(
        _ description: String, default defaultValue: Int? = nil, minimum: Int? = nil, maximum: Int? = nil,
        format: String? = "int64"
    ) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .integer, description: description)
        schema.defaultValue = defaultValue.map { .integer(Int64($0)) }
        schema.minimum = minimum.map(Double.init)
        schema.maximum = maximum.map(Double.init)
        schema.format = format
        return schema
    }

    public static func number(
        _ description: String, default defaultValue: Double? = nil, minimum: Double? = nil,
        exclusiveMinimum: Bool = false, maximum: Double? = nil, exclusiveMaximum: Bool = false
    ) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .number, description: description)
        schema.defaultValue = defaultValue.map(JSONValue.double)
        schema.minimum = minimum
        schema.exclusiveMinimum = exclusiveMinimum
        schema.maximum = maximum
        schema.exclusiveMaximum = exclusiveMaximum
        return schema
    }

    public static func boolean(_ description: String, default defaultValue: Bool? = nil) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .boolean, description: description)
        schema.defaultValue = defaultValue.map(JSONValue.bool)
        return schema
    }

    /// An integer or a string (`x-kubernetes-int-or-string`), as resource quantities are.
    public static func intOrString(_ description: String, pattern: String? = nil) -> OpenAPISchema {
        var schema = OpenAPISchema(type: nil, description: description)
        schema.intOrString = true
        schema.pattern = pattern
        return schema
    }

    /// An object kept as is (`x-kubernetes-preserve-unknown-fields`), for
    /// embedded Kubernetes types such as `Affinity`.
    public static func opaqueObject(_ description: String) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .object, description: description)
        schema.preserveUnknownFields = true
        return schema
    }
}

// MARK: - Modifiers

extension OpenAPISchema {
    /// Adds a CEL rule (`x-kubernetes-validations`).
    public func rule(_ rule: String, message: String) -> OpenAPISchema {
        var copy = self
        copy.validations.append(Rule(rule, message: message))
        return copy
    }

    /// The value the API server fills in when the field is absent.
    public func defaulting(_ value: JSONValue) -> OpenAPISchema {
        var copy = self
        copy.defaultValue = value
        return copy
    }

    /// Forbids changing the field once set (`self == oldSelf`).
    public func immutable(_ message: String) -> OpenAPISchema {
        rule("self == oldSelf", message: message)
    }

    /// Declares a list as a map keyed by `keys` (`x-kubernetes-list-type: map`).
    public func listMap(keys: [String]) -> OpenAPISchema {
        var copy = self
        copy.listType = "map"
        copy.listMapKeys = keys
        return copy
    }

    public func listType(_ type: String) -> OpenAPISchema {
        var copy = self
        copy.listType = type
        return copy
    }
}

// MARK: - Walking

extension OpenAPISchema {
    /// Every node below and including this one, with its path in the notation
    /// of `kubectl explain` (`spec.runPolicy.backoffLimit`, `[]` for items,
    /// `{}` for map values).
    public func allNodes(path: String) -> [(path: String, schema: OpenAPISchema)] {
        var result = [(path: path, schema: self)]
        for property in properties {
            result += property.schema.allNodes(path: path.isEmpty ? property.name : "\(path).\(property.name)")
        }
        if let items { result += items.allNodes(path: "\(path)[]") }
        if let additionalProperties { result += additionalProperties.allNodes(path: "\(path){}") }
        return result
    }

    /// Applies this schema's defaults to `value` the way the API server's
    /// structural defaulting does: an absent property with a `default` gets
    /// it (and is then defaulted itself), present objects and array items
    /// are walked, and unknown or mistyped members are left alone.
    public func applyingDefaults(to value: JSONValue) -> JSONValue {
        switch value {
        case .object(var members):
            for property in properties {
                if members[property.name] == nil, let defaultValue = property.schema.defaultValue {
                    members[property.name] = defaultValue
                }
                if let member = members[property.name] {
                    members[property.name] = property.schema.applyingDefaults(to: member)
                }
            }
            if let additionalProperties {
                for (key, member) in members where property(key) == nil {
                    members[key] = additionalProperties.applyingDefaults(to: member)
                }
            }
            return .object(members)
        case .array(let elements):
            guard let items else { return value }
            return .array(elements.map { items.applyingDefaults(to: $0) })
        default:
            return value
        }
    }
}
