import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs iproute2's `ip`, the one tool the Pod network is configured with.
enum IPCommand {
    static let path: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { access($0, X_OK) == 0 }

    /// Runs `ip arguments...`; throws `invalidConfiguration` with its stderr when it fails.
    static func run(_ arguments: [String]) throws(NodeAgentError) {
        _ = try output(arguments)
    }

    /// Runs `ip arguments...` and returns its stdout.
    static func output(_ arguments: [String]) throws(NodeAgentError) -> String {
        guard let path else { throw NodeAgentError(.invalidConfiguration, "iproute2's `ip` is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw NodeAgentError(.invalidConfiguration, "cannot run \(path): \(error)")
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let detail = String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw NodeAgentError(.invalidConfiguration, "`ip \(arguments.joined(separator: " "))` failed: \(detail)")
        }
        return String(decoding: output, as: UTF8.self)
    }
}
