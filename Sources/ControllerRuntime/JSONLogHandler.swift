import Foundation
import Logging

/// Writes one JSON object per log line to standard error:
/// `{"ts":"…","level":"info","logger":"…","msg":"…", …metadata}`.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public let label: String
    private static let output = LockedStandardError()

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        fields["ts"] = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        fields["level"] = event.level.rawValue
        fields["logger"] = label
        fields["msg"] = "\(event.message)"
        fields["caller"] = "\(event.file.split(separator: "/").last ?? ""):\(event.line)"
        guard var data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        Self.output.write(data)
    }
}

final class LockedStandardError: Sendable {
    private let lock = NSLock()
    func write(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(data)
    }
}
