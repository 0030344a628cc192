import Foundation
import KubeClient

/// Applies a CRD's structural `openAPIV3Schema` to a custom resource the way
/// the Kubernetes API server does: prune unknown fields, apply defaults, then
/// validate (type, required, enum, minimum/maximum, exclusive bounds,
/// minLength/maxLength, pattern, minItems/maxItems, uniqueItems,
/// minProperties/maxProperties, nullable, additionalProperties,
/// x-kubernetes-int-or-string, x-kubernetes-preserve-unknown-fields,
/// x-kubernetes-embedded-resource).
///
/// CEL rules (`x-kubernetes-validations`) are NOT evaluated by the local API
/// server; an object that only a CEL rule would reject is accepted here, and
/// the operator re-validates it. `format` is not checked either.
struct SchemaValidator {
    var schema: JSONValue

    /// Prunes and defaults `object` in place and returns the validation errors.
    func process(_ object: inout JSONValue) -> [APIError.Cause] {
        var pruned: [String] = []
        return process(&object, pruned: &pruned)
    }

    /// Like `process(_:)`, also reporting the paths of pruned unknown fields.
    func process(_ object: inout JSONValue, pruned: inout [String]) -> [APIError.Cause] {
        object = prune(object, schema, root: true, path: "", pruned: &pruned)
        object = applyDefaults(object, schema)
        var causes: [APIError.Cause] = []
        validate(object, schema, path: "", causes: &causes, root: true)
        return causes
    }

    // MARK: Pruning

    private func prune(_ value: JSONValue, _ schema: JSONValue, root: Bool = false, path: String, pruned: inout [String]) -> JSONValue {
        switch value {
        case .object(let members):
            if schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true && schema["properties"] == nil
                && schema["additionalProperties"] == nil {
                return value
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            let preserve = schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
            let embedded = root || schema["x-kubernetes-embedded-resource"]?.boolValue == true
            var result: [String: JSONValue] = [:]
            for (key, member) in members {
                if embedded && (key == "apiVersion" || key == "kind" || key == "metadata") {
                    result[key] = member
                } else if let propertySchema = properties[key] {
                    result[key] = prune(member, propertySchema, path: Self.join(path, key), pruned: &pruned)
                } else if let additional = schema["additionalProperties"], case .object = additional {
                    result[key] = prune(member, additional, path: Self.join(path, key), pruned: &pruned)
                } else if schema["additionalProperties"]?.boolValue == true || preserve {
                    result[key] = member
                } else {
                    pruned.append(Self.join(path, key))
                }
            }
            return .object(result)
        case .array(let elements):
            guard let items = schema["items"] else { return value }
            var result: [JSONValue] = []
            for (index, element) in elements.enumerated() {
                result.append(prune(element, items, path: "\(path)[\(index)]", pruned: &pruned))
            }
            return .array(result)
        default:
            return value
        }
    }

    // MARK: Defaulting

    private func applyDefaults(_ value: JSONValue, _ schema: JSONValue) -> JSONValue {
        switch value {
        case .object(var members):
            for (key, propertySchema) in schema["properties"]?.objectValue ?? [:] {
                if members[key] == nil, let defaultValue = propertySchema["default"] {
                    members[key] = defaultValue
                }
                if let member = members[key] { members[key] = applyDefaults(member, propertySchema) }
            }
            if let additional = schema["additionalProperties"], case .object = additional {
                let known = Set((schema["properties"]?.objectValue ?? [:]).keys)
                for (key, member) in members where !known.contains(key) {
                    members[key] = applyDefaults(member, additional)
                }
            }
            return .object(members)
        case .array(let elements):
            guard let items = schema["items"] else { return value }
            return .array(elements.map { applyDefaults($0, items) })
        default:
            return value
        }
    }

    // MARK: Validation

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// How Kubernetes prints an invalid value in a message.
    static func show(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return "\"\(s)\""
        case .null: return "null"
        case .object: return "\"object\""
        case .array: return "\"array\""
        default: return JSONCoding.plainText(value)
        }
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer: return "integer"
        case .double(let d): return d.rounded() == d ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    private func validate(_ value: JSONValue, _ schema: JSONValue, path: String, causes: inout [APIError.Cause], root: Bool = false) {
        let field = path
        func invalid(_ message: String) {
            causes.append(.init(reason: "FieldValueInvalid", message: "Invalid value: \(Self.show(value)): \(field) in body \(message)", field: field))
        }
        if case .null = value {
            if schema["nullable"]?.boolValue == true { return }
            if schema["type"] != nil {
                causes.append(.init(reason: "FieldValueTypeInvalid", message: "Invalid value: \"null\": \(field) in body must be of type \(schema["type"]?.stringValue ?? "object"): \"null\"", field: field))
            }
            return
        }
        if schema["x-kubernetes-int-or-string"]?.boolValue == true {
            switch value {
            case .integer, .string: break
            case .double(let d) where d.rounded() == d: break
            default:
                causes.append(.init(reason: "FieldValueTypeInvalid", message: "Invalid value: \(Self.show(value)): \(field) in body must be of type integer-or-string: \"\(Self.typeName(value))\"", field: field))
                return
            }
        } else if let type = schema["type"]?.stringValue {
            let actual = Self.typeName(value)
            let ok = actual == type || (type == "number" && actual == "integer")
            if !ok {
                causes.append(.init(reason: "FieldValueTypeInvalid", message: "Invalid value: \(Self.show(value)): \(field) in body must be of type \(type): \"\(actual)\"", field: field))
                return
            }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(where: { Self.equalValues($0, value) }) {
            causes.append(.init(reason: "FieldValueNotSupported",
                                message: "Unsupported value: \(Self.show(value)): supported values: \(options.map(Self.show).joined(separator: ", "))", field: field))
        }
        if let number = value.doubleValue {
            if let minimum = schema["minimum"]?.doubleValue {
                if schema["exclusiveMinimum"]?.boolValue == true, number <= minimum {
                    invalid("should be greater than \(JSONCoding.plainText(schema["minimum"]!))")
                } else if number < minimum {
                    invalid("should be greater than or equal to \(JSONCoding.plainText(schema["minimum"]!))")
                }
            }
            if let maximum = schema["maximum"]?.doubleValue {
                if schema["exclusiveMaximum"]?.boolValue == true, number >= maximum {
                    invalid("should be less than \(JSONCoding.plainText(schema["maximum"]!))")
                } else if number > maximum {
                    invalid("should be less than or equal to \(JSONCoding.plainText(schema["maximum"]!))")
                }
            }
            if let multiple = schema["multipleOf"]?.doubleValue, multiple > 0, (number / multiple).rounded() != number / multiple {
                invalid("should be a multiple of \(JSONCoding.plainText(schema["multipleOf"]!))")
            }
        }
        if case .string(let string) = value {
            if let minLength = schema["minLength"]?.intValue, string.count < minLength {
                invalid("should be at least \(minLength) chars long")
            }
            if let maxLength = schema["maxLength"]?.intValue, string.count > maxLength {
                causes.append(.init(reason: "FieldValueTooLong", message: "Too long: may not be more than \(maxLength) bytes", field: field))
            }
            if let pattern = schema["pattern"]?.stringValue {
                if let regex = try? NSRegularExpression(pattern: pattern),
                   regex.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) == nil {
                    invalid("should match '\(pattern)'")
                }
            }
        }
        if case .array(let elements) = value {
            if let minItems = schema["minItems"]?.intValue, elements.count < minItems {
                invalid("should have at least \(minItems) items")
            }
            if let maxItems = schema["maxItems"]?.intValue, elements.count > maxItems {
                causes.append(.init(reason: "FieldValueTooMany", message: "Too many: \(elements.count): must have at most \(maxItems) items", field: field))
            }
            if schema["uniqueItems"]?.boolValue == true, Set(elements).count != elements.count {
                causes.append(.init(reason: "FieldValueDuplicate", message: "Duplicate value: \(field) in body shouldn't contain duplicates", field: field))
            }
            if let items = schema["items"] {
                for (index, element) in elements.enumerated() {
                    validate(element, items, path: "\(path)[\(index)]", causes: &causes)
                }
            }
        }
        if case .object(let members) = value {
            for required in (schema["required"]?.arrayValue ?? []).compactMap(\.stringValue) where members[required] == nil {
                causes.append(.init(reason: "FieldValueRequired", message: "Required value", field: Self.join(path, required)))
            }
            if let minProperties = schema["minProperties"]?.intValue, members.count < minProperties {
                invalid("should have at least \(minProperties) properties")
            }
            if let maxProperties = schema["maxProperties"]?.intValue, members.count > maxProperties {
                invalid("should have at most \(maxProperties) properties")
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            for key in members.keys.sorted() {
                if root && (key == "apiVersion" || key == "kind" || key == "metadata") { continue }
                if let propertySchema = properties[key] {
                    validate(members[key]!, propertySchema, path: Self.join(path, key), causes: &causes)
                } else if let additional = schema["additionalProperties"], case .object = additional {
                    validate(members[key]!, additional, path: Self.join(path, key), causes: &causes)
                }
            }
        }
        for sub in schema["allOf"]?.arrayValue ?? [] {
            validate(value, sub, path: path, causes: &causes)
        }
        if let anyOf = schema["anyOf"]?.arrayValue, !anyOf.isEmpty {
            let passes = anyOf.contains { sub in
                var scratch: [APIError.Cause] = []
                validate(value, sub, path: path, causes: &scratch)
                return scratch.isEmpty
            }
            if !passes { invalid("must validate at least one schema (anyOf)") }
        }
        if let oneOf = schema["oneOf"]?.arrayValue, !oneOf.isEmpty {
            let passing = oneOf.filter { sub in
                var scratch: [APIError.Cause] = []
                validate(value, sub, path: path, causes: &scratch)
                return scratch.isEmpty
            }.count
            if passing != 1 { invalid("must validate one and only one schema (oneOf)") }
        }
        if let not = schema["not"] {
            var scratch: [APIError.Cause] = []
            validate(value, not, path: path, causes: &scratch)
            if scratch.isEmpty { invalid("must not validate the schema (not)") }
        }
    }

    private static func equalValues(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }
}
