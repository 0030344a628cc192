import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files that hold secrets (private keys, kubeconfigs with client
/// keys) so that no other user can ever read them, not even for a moment.
enum PrivateFile {
    /// Creates `directory` (and its parents) if needed and sets its mode to
    /// `mode` (0700 by default): only the owner may list or enter it.
    static func makeDirectory(_ directory: URL, mode: mode_t = 0o700) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard chmod(directory.path, mode) == 0 else {
            throw PrivateFileError(path: directory.path, operation: "chmod", code: errno)
        }
    }

    /// Replaces `url` atomically with `data`, in a file created with `mode`
    /// (0600 by default): the content is written to a new file in the same
    /// directory, opened with that mode from the start, flushed, and renamed
    /// over `url`. Readers see the old file or the whole new one.
    static func save(_ data: Data, to url: URL, mode: mode_t = 0o600) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw PrivateFileError(path: temporary.path, operation: "open", code: errno) }
        var failure: PrivateFileError?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = PrivateFileError(path: temporary.path, operation: "write", code: errno)
                    return
                }
                offset += written
            }
        }
        if failure == nil, fchmod(descriptor, mode) != 0 { failure = PrivateFileError(path: temporary.path, operation: "fchmod", code: errno) }
        if failure == nil, fsync(descriptor) != 0 { failure = PrivateFileError(path: temporary.path, operation: "fsync", code: errno) }
        close(descriptor)
        if failure == nil, rename(temporary.path, url.path) != 0 { failure = PrivateFileError(path: url.path, operation: "rename", code: errno) }
        if let failure {
            unlink(temporary.path)
            throw failure
        }
    }
}

/// A file or directory holding secrets could not be written.
struct PrivateFileError: Error, CustomStringConvertible {
    var path: String
    var operation: String
    var code: Int32

    var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}
