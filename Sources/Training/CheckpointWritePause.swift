import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Test-only fault injection: makes the write of one checkpoint stop half
/// way, so that a test can kill the writer while a partial file is on disk.
///
/// A checkpoint of a small model is written in well under a millisecond, far
/// too fast to kill the process during the write from outside; this is the
/// fake for a fault the real write cannot be made to produce on demand. It is
/// off unless a `CheckpointStore` is given one (the worker reads it from
/// `FAULT_PAUSE_IN_CHECKPOINT_WRITE`).
///
/// When the checkpoint of `globalStep` is saved, the first half of the
/// temporary file is written and fsynced, then the marker file
/// `CheckpointStore.writePauseMarkerPath(globalStep:)` is created holding
/// `<pid> <temporary path>`, and the writing thread sleeps for `duration`
/// before finishing the write normally. The marker is created exclusively:
/// if it already exists (a restarted worker reaching the same step again),
/// the write does not pause, so the fault happens once per directory.
public struct CheckpointWritePause: Sendable, Hashable {
    /// The global step whose checkpoint write pauses.
    public var globalStep: Int
    /// How long the write holds half-way before it completes.
    public var duration: Duration

    public init(globalStep: Int, duration: Duration = .seconds(30)) {
        self.globalStep = globalStep
        self.duration = duration
    }

    /// Creates `markerPath` (unless it exists) and sleeps; returns at once,
    /// without sleeping, when the marker already exists or cannot be created.
    func hold(temporaryPath: String, markerPath: String) {
        let descriptor = open(markerPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        let text = Array("\(getpid()) \(temporaryPath)\n".utf8)
        _ = text.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
        _ = fsync(descriptor)
        close(descriptor)
        let components = duration.components
        var remaining = timespec(tv_sec: Int(components.seconds), tv_nsec: Int(components.attoseconds / 1_000_000_000))
        var left = timespec()
        while nanosleep(&remaining, &left) != 0 && errno == EINTR { remaining = left }
    }
}
