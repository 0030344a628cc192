import Foundation
import KubeClient

/// Amounts of node resources, each in thousandths of the resource's unit
/// (millicores for `cpu`, millibytes for `memory`, thousandths of a device for
/// extended resources such as `nvidia.com/gpu`), as the scheduler compares
/// them. A resource that is absent counts as zero.
public struct ResourceAmounts: Sendable, Hashable, CustomStringConvertible {
    /// Milli-units by resource name.
    public var milliValues: [String: Int64]

    public init(milliValues: [String: Int64] = [:]) {
        self.milliValues = milliValues
    }

    /// Parses Kubernetes quantities (`"500m"`, `"4Gi"`, `"1"`).
    public init(quantities: [String: Quantity]) throws(NodeAgentError) {
        var values: [String: Int64] = [:]
        for (name, quantity) in quantities {
            values[name] = try Self.milliValue(of: quantity.value)
        }
        milliValues = values
    }

    public subscript(resource: String) -> Int64 {
        get { milliValues[resource] ?? 0 }
        set { milliValues[resource] = newValue }
    }

    /// Adds every amount of `other` to this one.
    public static func + (lhs: ResourceAmounts, rhs: ResourceAmounts) -> ResourceAmounts {
        var sum = lhs
        for (name, value) in rhs.milliValues { sum[name] = sum[name] &+ value }
        return sum
    }

    /// The larger amount of each resource.
    public func componentwiseMax(_ other: ResourceAmounts) -> ResourceAmounts {
        var result = self
        for (name, value) in other.milliValues { result[name] = Swift.max(result[name], value) }
        return result
    }

    public var description: String {
        milliValues.keys.sorted().map { "\($0)=\(milliValues[$0]!)m" }.joined(separator: ",")
    }

    /// The value of a Kubernetes quantity in thousandths, rounded up as
    /// Kubernetes' `MilliValue` does.
    ///
    /// Accepts a decimal number (optionally with an exponent, `1e3`) followed
    /// by at most one suffix: `m`, `k`, `M`, `G`, `T`, `P`, `E` or `Ki`, `Mi`,
    /// `Gi`, `Ti`, `Pi`, `Ei`. Throws `invalidQuantity` for anything else,
    /// for negative values, and for values too large to represent.
    public static func milliValue(of text: String) throws(NodeAgentError) -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let suffixes: [(String, Decimal)] = [
            ("Ki", pow(1024, 1)), ("Mi", pow(1024, 2)), ("Gi", pow(1024, 3)),
            ("Ti", pow(1024, 4)), ("Pi", pow(1024, 5)), ("Ei", pow(1024, 6)),
            ("m", Decimal(string: "0.001")!), ("k", pow(10, 3)), ("M", pow(10, 6)),
            ("G", pow(10, 9)), ("T", pow(10, 12)), ("P", pow(10, 15)), ("E", pow(10, 18)),
        ]
        var number = trimmed
        var multiplier: Decimal = 1
        for (suffix, factor) in suffixes where trimmed.hasSuffix(suffix) {
            number = String(trimmed.dropLast(suffix.count))
            multiplier = factor
            break
        }
        guard number.wholeMatch(of: /\+?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?/) != nil,
              let parsed = Decimal(string: number), !parsed.isNaN
        else {
            throw NodeAgentError(.invalidQuantity, "quantity \"\(text)\" is not a valid Kubernetes quantity")
        }
        var milli = parsed * multiplier * 1000
        var rounded = Decimal()
        NSDecimalRound(&rounded, &milli, 0, .up)
        guard rounded <= Decimal(Int64.max) else {
            throw NodeAgentError(.invalidQuantity, "quantity \"\(text)\" is too large")
        }
        return NSDecimalNumber(decimal: rounded).int64Value
    }
}
