import Foundation

/// Memory figures of a process, read from `/proc/<pid>/status` (Linux).
enum ProcessMemory {
    /// A `Vm*` field in kB: `VmRSS` is the resident set now, `VmHWM` its peak.
    /// `pid` nil reads this process.
    static func kilobytes(_ field: String, pid: Int32? = nil) throws -> Int {
        let path = "/proc/\(pid.map(String.init) ?? "self")/status"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Int($0) })
        else { throw ProcessMemoryError(description: "no \(field) in \(path)") }
        return value
    }
}

/// `/proc/<pid>/status` had no such field.
struct ProcessMemoryError: Error, CustomStringConvertible {
    var description: String
}
