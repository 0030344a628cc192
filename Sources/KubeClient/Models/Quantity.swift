/// A Kubernetes resource quantity (`500m`, `2`, `4Gi`), kept as written.
///
/// The API accepts both JSON strings and numbers; both decode, and it always
/// encodes as a string, as the API server returns it.
public struct Quantity: Codable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var value: String

    public init(_ value: String) { self.value = value }
    public init(stringLiteral value: String) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            value = string
        } else if let integer = try? container.decode(Int64.self) {
            value = String(integer)
        } else {
            let number = try container.decode(Double.self)
            value = String(number)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    public var description: String { value }
}
