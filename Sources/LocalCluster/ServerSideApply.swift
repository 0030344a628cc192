import Foundation
import KubeClient
import Yams

/// Server-side apply, as far as the operator and `kubectl apply --server-side`
/// use it: the applied configuration creates the object if it is missing and
/// is otherwise merged into it (maps merge, lists and scalars replace).
///
/// Field ownership (`managedFields`) is not tracked, so apply never reports a
/// conflict between field managers; `force` is accepted and has no effect.
enum ServerSideApply {
    /// Decodes an apply body (YAML or JSON).
    static func decode(_ body: Data) throws -> JSONValue {
        do {
            return try YAMLConversion.decode(String(decoding: body, as: UTF8.self))
        } catch {
            throw APIError.badRequest("error decoding YAML: \(error)")
        }
    }

    /// The applied configuration without the fields apply must not set directly.
    static func mergeable(_ applied: JSONValue) -> JSONValue {
        var copy = applied
        copy["metadata"]?["managedFields"] = nil
        copy["metadata"]?["resourceVersion"] = nil
        return copy
    }
}

/// YAML documents to JSON values through Yams.
enum YAMLConversion {
    static func decode(_ text: String) throws -> JSONValue {
        guard let node = try Yams.compose(yaml: text) else { return .null }
        return try convert(node)
    }

    static func convert(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .singleQuoted || scalar.style == .doubleQuoted || scalar.style == .literal || scalar.style == .folded {
                return .string(scalar.string)
            }
            if let value = Bool.construct(from: scalar) { return .bool(value) }
            if let value = Int.construct(from: scalar) { return .integer(Int64(value)) }
            if let value = Double.construct(from: scalar) { return .double(value) }
            if NSNull.construct(from: scalar) != nil { return .null }
            return .string(scalar.string)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let keyString = key.string else { throw APIError.badRequest("YAML mapping key is not a string") }
                members[keyString] = try convert(value)
            }
            return .object(members)
        case .sequence(let sequence):
            return .array(try sequence.map(convert))
        case .alias:
            throw APIError.badRequest("YAML aliases are not supported")
        }
    }
}
