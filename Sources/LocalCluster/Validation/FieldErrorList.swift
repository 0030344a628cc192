import KubeClient

/// The field errors of one object, collected as the real API server words
/// them (`field.ErrorList`): each becomes a `details.causes[]` entry whose
/// `field` is the path (`spec.containers[0].name`) and whose message is
/// `Invalid value: "x": <why>`, `Required value`, `Duplicate value: "x"`,
/// `Not found: "x"` or `Unsupported value: "x": supported values: ...`.
struct FieldErrorList {
    private(set) var causes: [APIError.Cause] = []

    var isEmpty: Bool { causes.isEmpty }

    mutating func invalid(_ field: String, _ value: String, _ detail: String) {
        causes.append(.init(reason: "FieldValueInvalid", message: "Invalid value: \(Self.quoted(value)): \(detail)", field: field))
    }

    mutating func invalid(_ field: String, _ value: Int64, _ detail: String) {
        causes.append(.init(reason: "FieldValueInvalid", message: "Invalid value: \(value): \(detail)", field: field))
    }

    /// One `Invalid value` per message of a format check (as the real server lists them).
    mutating func invalid(_ field: String, _ value: String, each messages: [String]) {
        for message in messages { invalid(field, value, message) }
    }

    mutating func required(_ field: String, _ detail: String = "") {
        causes.append(.init(reason: "FieldValueRequired", message: detail.isEmpty ? "Required value" : "Required value: \(detail)", field: field))
    }

    mutating func duplicate(_ field: String, _ value: String) {
        causes.append(.init(reason: "FieldValueDuplicate", message: "Duplicate value: \(Self.quoted(value))", field: field))
    }

    mutating func notFound(_ field: String, _ value: String) {
        causes.append(.init(reason: "FieldValueNotFound", message: "Not found: \(Self.quoted(value))", field: field))
    }

    mutating func notSupported(_ field: String, _ value: String, supported: [String]) {
        let list = supported.map(Self.quoted).joined(separator: ", ")
        causes.append(.init(reason: "FieldValueNotSupported", message: "Unsupported value: \(Self.quoted(value)): supported values: \(list)", field: field))
    }

    mutating func forbidden(_ field: String, _ detail: String) {
        causes.append(.init(reason: "FieldValueForbidden", message: "Forbidden: \(detail)", field: field))
    }

    mutating func typeInvalid(_ field: String, _ detail: String) {
        causes.append(.init(reason: "FieldValueTypeInvalid", message: "Invalid value: \(detail)", field: field))
    }

    /// A string as Go's `%q` prints it: double quotes, with quotes, backslashes
    /// and control characters escaped (so a value cannot forge a message).
    static func quoted(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case "\r": text += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    text += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text + "\""
    }
}
