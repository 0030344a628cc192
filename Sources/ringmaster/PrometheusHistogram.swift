import Foundation

/// One histogram read from Prometheus text exposition: cumulative bucket
/// counts by upper bound, plus `_sum` and `_count`.
///
/// Quantiles are estimated as Prometheus's `histogram_quantile` does: find
/// the bucket the rank falls in and interpolate linearly inside it (the
/// lower bound of the first bucket is 0). The estimate is only as fine as
/// the buckets; a rank in the `+Inf` bucket answers the largest finite bound.
struct PrometheusHistogram: Sendable, Equatable {
    /// (upper bound, cumulative count), ascending by bound; the last bound may be `.infinity`.
    var buckets: [(bound: Double, count: Double)]
    var sum: Double
    var count: Double

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.sum == rhs.sum && lhs.count == rhs.count
            && lhs.buckets.map(\.bound) == rhs.buckets.map(\.bound) && lhs.buckets.map(\.count) == rhs.buckets.map(\.count)
    }

    /// The histogram `name` whose labels include every pair of `labels`, from
    /// the text of a `/metrics` answer; nil when no such series exists.
    static func parse(_ text: String, name: String, labels: [String: String]) -> PrometheusHistogram? {
        var buckets: [(Double, Double)] = []
        var sum: Double?
        var count: Double?
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let (metric, seriesLabels, value) = parseSample(line) else { continue }
            guard labels.allSatisfy({ seriesLabels[$0.key] == $0.value }) else { continue }
            switch metric {
            case name + "_bucket":
                guard let le = seriesLabels["le"] else { continue }
                let bound = le == "+Inf" ? Double.infinity : Double(le)
                if let bound { buckets.append((bound, value)) }
            case name + "_sum": sum = value
            case name + "_count": count = value
            default: continue
            }
        }
        guard !buckets.isEmpty, let count else { return nil }
        return PrometheusHistogram(buckets: buckets.sorted { $0.0 < $1.0 }.map { (bound: $0.0, count: $0.1) },
                                   sum: sum ?? .nan, count: count)
    }

    /// An estimated quantile: a value, or only a lower bound when the rank
    /// falls past the largest finite bucket.
    enum Estimate: Equatable, CustomStringConvertible {
        case value(Double)
        case above(Double)

        /// In milliseconds, e.g. `75.0 ms` or `> 10000 ms`.
        var description: String {
            switch self {
            case .value(let seconds): String(format: "%.1f ms", seconds * 1000)
            case .above(let seconds): String(format: "> %.0f ms", seconds * 1000)
            }
        }
    }

    /// The estimated `q`-quantile (0...1); nil for an empty histogram.
    func quantile(_ q: Double) -> Estimate? {
        guard let total = buckets.last?.count, total > 0 else { return nil }
        let rank = q * total
        var lowerBound = 0.0
        var lowerCount = 0.0
        for bucket in buckets {
            if bucket.count >= rank {
                if bucket.bound == .infinity { return .above(lowerBound) }
                let inBucket = bucket.count - lowerCount
                guard inBucket > 0 else { return .value(bucket.bound) }
                return .value(lowerBound + (bucket.bound - lowerBound) * (rank - lowerCount) / inBucket)
            }
            lowerBound = bucket.bound
            lowerCount = bucket.count
        }
        return .above(lowerBound)
    }

    /// `name{a="b",c="d"} value` -> (name, labels, value).
    private static func parseSample(_ line: Substring) -> (String, [String: String], Double)? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        var labels: [String: String] = [:]
        let name: String
        let rest: Substring
        if let open = trimmed.firstIndex(of: "{"), let close = trimmed.lastIndex(of: "}") {
            name = String(trimmed[..<open])
            for pair in trimmed[trimmed.index(after: open)..<close].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            }
            rest = trimmed[trimmed.index(after: close)...]
        } else {
            guard let space = trimmed.firstIndex(of: " ") else { return nil }
            name = String(trimmed[..<space])
            rest = trimmed[space...]
        }
        guard let valueText = rest.split(separator: " ").first, let value = Double(valueText) else { return nil }
        return (name, labels, value)
    }
}
