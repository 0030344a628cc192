/// Series computed when `/metrics` is read rather than kept as state, as
/// kube-state-metrics does: a collector reads an informer's cache and writes
/// one series per object, so an object's series go when the object leaves the
/// cache, and nothing grows with the number of objects between scrapes.
///
/// `collect` runs on every scrape, concurrently with reconciles; it must only
/// read. The `Manager` calls it only while it leads, so standby replicas do not
/// export a second copy of every object's series.
public protocol MetricsCollector: Sendable {
    func collect(into writer: inout PrometheusTextWriter)
}

/// Writes metric families in the Prometheus text exposition format (0.0.4).
///
/// Call `family` once per metric name, then `sample` for each of its series;
/// label values are escaped, `NaN` and infinities written as Prometheus spells them.
public struct PrometheusTextWriter: Sendable {
    public enum MetricType: String, Sendable {
        case counter, gauge
    }

    public private(set) var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes the `# HELP` and `# TYPE` lines of a family.
    public mutating func family(_ name: String, _ type: MetricType, help: String) {
        append("# HELP ")
        append(name)
        append(" ")
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            default: bytes.append(byte)
            }
        }
        append("\n# TYPE ")
        append(name)
        append(" ")
        append(type.rawValue)
        append("\n")
    }

    /// Writes one sample line: `name{label="value",...} value`.
    public mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Double) {
        append(name)
        if !labels.isEmpty {
            append("{")
            var first = true
            for (key, labelValue) in labels {
                if !first { append(",") }
                first = false
                append(key)
                append("=\"")
                for byte in labelValue.utf8 {
                    switch byte {
                    case UInt8(ascii: "\\"): append("\\\\")
                    case UInt8(ascii: "\""): append("\\\"")
                    case UInt8(ascii: "\n"): append("\\n")
                    default: bytes.append(byte)
                    }
                }
                append("\"")
            }
            append("}")
        }
        append(" ")
        append(Self.format(value))
        append("\n")
    }

    /// `exposition` with a `# HELP` line before each `# TYPE` line that has
    /// none and whose family `help` describes. (swift-prometheus writes the
    /// families made through swift-metrics without help text.)
    public static func insertingHelp(into exposition: [UInt8], _ help: [String: String]) -> [UInt8] {
        guard !help.isEmpty else { return exposition }
        let typePrefix = Array("# TYPE ".utf8)
        let helpPrefix = Array("# HELP ".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(exposition.count + help.count * 96)
        var previousLineStart = 0
        var lineStart = exposition.startIndex
        while lineStart < exposition.endIndex {
            let lineEnd = exposition[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? exposition.endIndex
            let line = exposition[lineStart..<lineEnd]
            if line.starts(with: typePrefix) {
                let nameBytes = line.dropFirst(typePrefix.count).prefix { $0 != UInt8(ascii: " ") }
                let name = String(decoding: nameBytes, as: UTF8.self)
                let previous = output[previousLineStart...]
                let described = previous.starts(with: helpPrefix)
                    && previous.dropFirst(helpPrefix.count).starts(with: nameBytes + [UInt8(ascii: " ")])
                if !described, let text = help[name] {
                    var writer = PrometheusTextWriter()
                    writer.family(name, .gauge, help: text)
                    let helpLine = writer.bytes.prefix { $0 != UInt8(ascii: "\n") }
                    output.append(contentsOf: helpLine)
                    output.append(UInt8(ascii: "\n"))
                }
            }
            previousLineStart = output.count
            output.append(contentsOf: line)
            if lineEnd < exposition.endIndex { output.append(UInt8(ascii: "\n")) }
            lineStart = lineEnd < exposition.endIndex ? exposition.index(after: lineEnd) : lineEnd
        }
        return output
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }
}
