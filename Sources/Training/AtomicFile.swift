import Foundation
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Durable, atomic file replacement: readers see either the old file or the
/// whole new one, even across a crash or power loss.
public enum AtomicFile {
    /// Writes `bytes` to a temporary file in the same directory, fsyncs it,
    /// renames it over `path` and fsyncs the directory.
    ///
    /// `pauseHalfWay` is test-only fault injection: when given, the first
    /// half of `bytes` is written and fsynced, then `pauseHalfWay` is called
    /// with the temporary file's path (so that a test can kill the process
    /// while a partial file is on disk), and the write then completes as usual.
    public static func write(
        _ bytes: [UInt8], to path: String, pauseHalfWay: ((_ temporaryPath: String) -> Void)? = nil
    ) throws(CheckpointError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\(name).\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)", path: path) }
        var written = 0
        let result: Int = bytes.withUnsafeBytes { raw in
            let half = pauseHalfWay == nil ? raw.count : raw.count / 2
            while written < raw.count {
                let end = written < half ? half : raw.count
                let count = systemWrite(descriptor, raw.baseAddress! + written, end - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return -1
                }
                written += count
                if written == half, half < raw.count, let pauseHalfWay {
                    guard fsync(descriptor) == 0 else { return -1 }
                    pauseHalfWay(temporary)
                }
            }
            return 0
        }
        guard result == 0, fsync(descriptor) == 0 else {
            let error = failure("cannot write \(temporary)", path: path)
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure("cannot rename \(temporary)", path: path)
            unlink(temporary)
            throw error
        }
        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw failure("cannot open the directory to sync it", path: path) }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw failure("cannot sync the directory", path: path) }
    }

    private static func failure(_ what: String, path: String) -> CheckpointError {
        CheckpointError(.io, path: path, "\(what): \(String(cString: strerror(errno)))")
    }
}
