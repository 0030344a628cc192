import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates the local cluster's files and directories with modes that keep
/// them to the user who runs it, whatever the umask: the data directory and
/// pod directories 0700; the database, kubeconfigs, logs and Secret files
/// 0600 (unless a volume's `defaultMode` says otherwise).
enum PrivateFiles {
    static let directoryMode: mode_t = 0o700
    static let fileMode: mode_t = 0o600

    /// Creates `url` (and missing parents) as a 0700 directory; an existing
    /// directory with looser modes is tightened to 0700.
    static func makeDirectory(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: Int(directoryMode)])
        try setMode(directoryMode, of: url)
    }

    /// Sets the permission bits of `url`.
    static func setMode(_ mode: mode_t, of url: URL) throws {
        guard chmod(url.path, mode) == 0 else { throw error("cannot set the mode of", url) }
    }

    /// Sets the permission bits of `url` if it exists.
    static func restrict(_ url: URL, mode: mode_t = fileMode) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        try setMode(mode, of: url)
    }

    /// Creates (or empties) the file `url` with exactly `mode` and writes `data`.
    /// A symbolic link at `url` is refused rather than followed.
    /// With `sync`, the data is on disk before it returns.
    static func write(_ data: Data, to url: URL, mode: mode_t = fileMode, sync: Bool = false) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw error("cannot create", url) }
        defer { close(descriptor) }
        guard fchmod(descriptor, mode) == 0 else { throw error("cannot set the mode of", url) }
        try FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).write(contentsOf: data)
        if sync, fsync(descriptor) != 0 { throw error("cannot flush", url) }
    }

    /// Replaces `url` atomically (a temporary file beside it, flushed to
    /// disk, then a rename) with a file of exactly `mode` holding `data`:
    /// readers see the old file or the whole new one, and no other user can
    /// read it at any moment. Missing parent directories are created.
    static func writeAtomically(_ data: Data, to url: URL, mode: mode_t = fileMode) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8))")
        do {
            try write(data, to: temporary, mode: mode, sync: true)
            guard rename(temporary.path, url.path) == 0 else { throw error("cannot replace", url) }
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    private static func error(_ action: String, _ url: URL) -> NSError {
        let code = errno
        return NSError(domain: NSPOSIXErrorDomain, code: Int(code),
                       userInfo: [NSLocalizedDescriptionKey: "\(action) \(url.path): \(String(cString: strerror(code)))"])
    }
}
