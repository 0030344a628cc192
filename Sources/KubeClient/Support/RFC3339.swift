import Foundation

/// RFC 3339 timestamps as the API server writes them: `Time` (seconds) and
/// `MicroTime` (microseconds).
public enum RFC3339 {
    /// Parses `2024-01-02T03:04:05Z`, with or without fractional seconds or a numeric offset.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }

    /// `Time`: whole seconds, UTC.
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    /// `MicroTime`: six fractional digits, UTC (leases and events.k8s.io).
    public static func formatMicro(_ date: Date) -> String {
        let seconds = floor(date.timeIntervalSince1970)
        let micros = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded(.down))
        let base = Date(timeIntervalSince1970: seconds).formatted(Date.ISO8601FormatStyle())
        return String(base.dropLast()) + "." + String(format: "%06d", micros) + "Z"
    }
}
