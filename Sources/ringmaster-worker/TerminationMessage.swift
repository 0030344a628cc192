import Foundation
import Logging

/// The one line a worker leaves for Kubernetes (`terminationMessagePath`) and
/// the operator to read after it exits.
enum TerminationMessage {
    static let defaultPath = "/dev/termination-log"
    /// Kubernetes keeps at most 4096 bytes of a termination message.
    static let maximumLength = 4_000

    /// Writes `message` (one line, truncated to fit); a failure is logged,
    /// never fatal: the exit code still tells the outcome.
    static func write(_ message: String, to path: String, logger: Logger) {
        var line = message.replacingOccurrences(of: "\n", with: " ")
        if line.utf8.count > maximumLength { line = String(line.utf8.prefix(maximumLength)) ?? String(line.prefix(maximumLength / 4)) }
        do {
            try Data((line + "\n").utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            logger.warning("cannot write the termination message", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}
