import Foundation
import KubeClient

/// JSON (de)serialization of stored objects, and small path helpers.
enum JSONCoding {
    static func encode(_ value: JSONValue) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail: every case maps to JSON.
        return (try? encoder.encode(value)) ?? Data("null".utf8)
    }

    static func decode(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// The value at a dotted path (`["metadata", "name"]`), or nil.
    static func value(_ object: JSONValue, _ path: [String]) -> JSONValue? {
        var current: JSONValue? = object
        for key in path { current = current?[key] }
        return current
    }

    /// Evaluates the simple JSONPath subset used by printer columns:
    /// `.a.b`, `.a[0]`, `.a[*].b`, `.a[?(@.type=="Ready")].status`, with or
    /// without surrounding `{}`. Returns every match.
    static func evaluate(jsonPath: String, on object: JSONValue) -> [JSONValue] {
        var path = jsonPath.trimmingCharacters(in: .whitespaces)
        if path.hasPrefix("{") && path.hasSuffix("}") { path = String(path.dropFirst().dropLast()) }
        var current: [JSONValue] = [object]
        var index = path.startIndex
        while index < path.endIndex {
            let character = path[index]
            if character == "." {
                index = path.index(after: index)
                var end = index
                while end < path.endIndex, path[end] != ".", path[end] != "[" { end = path.index(after: end) }
                let key = String(path[index..<end])
                if !key.isEmpty { current = current.compactMap { $0[key] } }
                index = end
            } else if character == "[" {
                guard let close = path[index...].firstIndex(of: "]") else { return [] }
                let inner = String(path[path.index(after: index)..<close])
                index = path.index(after: close)
                if inner == "*" {
                    current = current.flatMap { $0.arrayValue ?? Array(($0.objectValue ?? [:]).values) }
                } else if let n = Int(inner) {
                    current = current.compactMap { value in
                        guard let array = value.arrayValue else { return nil }
                        let i = n < 0 ? array.count + n : n
                        return array.indices.contains(i) ? array[i] : nil
                    }
                } else if inner.hasPrefix("?(@.") && inner.hasSuffix(")") {
                    let condition = inner.dropFirst(4).dropLast()
                    let sides = condition.components(separatedBy: "==")
                    guard sides.count == 2 else { return [] }
                    let field = sides[0].trimmingCharacters(in: .whitespaces)
                    var expected = sides[1].trimmingCharacters(in: .whitespaces)
                    if expected.count >= 2, let first = expected.first, first == "\"" || first == "'" {
                        expected = String(expected.dropFirst().dropLast())
                    }
                    current = current.flatMap { value -> [JSONValue] in
                        (value.arrayValue ?? []).filter { element in
                            let fieldPath = field.split(separator: ".").map(String.init)
                            return JSONCoding.value(element, fieldPath).map(plainText) == expected
                        }
                    }
                } else {
                    return []
                }
            } else {
                // A path without a leading dot: treat as a key.
                var end = index
                while end < path.endIndex, path[end] != ".", path[end] != "[" { end = path.index(after: end) }
                let key = String(path[index..<end])
                current = current.compactMap { $0[key] }
                index = end
            }
        }
        return current
    }

    /// How a scalar is shown in a table cell or compared in a selector.
    static func plainText(_ value: JSONValue) -> String {
        switch value {
        case .null: return "<none>"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .double(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): return s
        case .array, .object: return String(decoding: encode(value), as: UTF8.self)
        }
    }
}
