import Foundation
import Logging

/// Where a saved checkpoint is.
public struct CheckpointRecord: Sendable, Hashable {
    public var globalStep: Int
    public var path: String
    /// When it was written.
    public var time: Date

    public init(globalStep: Int, path: String, time: Date) {
        self.globalStep = globalStep
        self.path = path
        self.time = time
    }
}

/// The checkpoints of one job in one directory: `checkpoint-<step>.rmckpt`
/// files written atomically, of which the newest `keep` are kept.
public struct CheckpointStore: Sendable {
    public var directory: String
    public var keep: Int
    /// Test-only fault injection (see `CheckpointWritePause`); nil in normal runs.
    public var writePause: CheckpointWritePause?

    /// `keep` must be at least 1; 3 leaves two fallbacks if the newest is damaged.
    /// `writePause` is test-only fault injection, off by default.
    public init(directory: String, keep: Int = 3, writePause: CheckpointWritePause? = nil) {
        precondition(keep >= 1, "keep at least one checkpoint")
        self.directory = directory
        self.keep = keep
        self.writePause = writePause
    }

    /// The marker file that `writePause` creates once the partial checkpoint
    /// of `globalStep` is on disk (hidden: never taken for a checkpoint).
    public func writePauseMarkerPath(globalStep: Int) -> String {
        directory + "/.write-paused-" + String(format: "%010d", globalStep)
    }

    /// The file name of the checkpoint after `globalStep` steps.
    public func path(globalStep: Int) -> String {
        directory + "/checkpoint-" + String(format: "%010d", globalStep) + ".rmckpt"
    }

    /// Saves atomically (temp file, fsync, rename, fsync of the directory),
    /// creating the directory if needed, then removes all but the newest `keep`.
    @discardableResult
    public func save(_ checkpoint: TrainingCheckpoint) throws(CheckpointError) -> CheckpointRecord {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(.io, path: directory, "cannot create the checkpoint directory: \(error)")
        }
        let step = checkpoint.header.globalStep
        let path = path(globalStep: step)
        var pauseHalfWay: ((String) -> Void)?
        if let pause = writePause, pause.globalStep == step {
            let marker = writePauseMarkerPath(globalStep: step)
            pauseHalfWay = { temporary in pause.hold(temporaryPath: temporary, markerPath: marker) }
        }
        try AtomicFile.write(checkpoint.encoded(), to: path, pauseHalfWay: pauseHalfWay)
        for (_, stale) in checkpointFiles().dropFirst(keep) {
            try? FileManager.default.removeItem(atPath: stale)
        }
        return CheckpointRecord(globalStep: checkpoint.header.globalStep, path: path, time: Date())
    }

    /// The checkpoint files, newest (highest step) first.
    public func checkpointFiles() -> [(step: Int, path: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.compactMap { name -> (step: Int, path: String)? in
            guard name.hasPrefix("checkpoint-"), name.hasSuffix(".rmckpt") else { return nil }
            guard let step = Int(name.dropFirst("checkpoint-".count).dropLast(".rmckpt".count)) else { return nil }
            return (step, directory + "/" + name)
        }
        .sorted { $0.step > $1.step }
    }

    /// The partial files that interrupted saves left behind:
    /// `.checkpoint-<step>.rmckpt.<pid>.tmp`, the temporary name
    /// `AtomicFile.write` uses before its rename.
    public func temporaryFiles() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { name in
            guard name.hasPrefix(".checkpoint-"), name.hasSuffix(".tmp") else { return false }
            let middle = name.dropFirst(".checkpoint-".count).dropLast(".tmp".count)
            let parts = middle.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 3 && Int(parts[0]) != nil && parts[1] == "rmckpt" && UInt32(parts[2]) != nil
        }
        .sorted()
        .map { directory + "/" + $0 }
    }

    /// Removes the partial files of interrupted saves (a writer killed
    /// between creating its temporary file and renaming it) and returns
    /// their paths; each removal is logged. A file that cannot be removed is
    /// logged and left; it never stops training.
    ///
    /// Call it only from the job's single writer, rank 0, when it opens the
    /// directory and before its first `save`: no other rank ever writes here,
    /// and this process has not begun a write yet, so every temporary file
    /// present belongs to a writer that is gone (a previous attempt of the
    /// ring; in a container its process id may even equal ours). It is not
    /// safe to call while a `save` of this process runs on the same directory.
    @discardableResult
    public func removeStaleTemporaryFiles(logger: Logger) -> [String] {
        var removed: [String] = []
        for path in temporaryFiles() {
            do {
                try FileManager.default.removeItem(atPath: path)
                removed.append(path)
                logger.info("removed the partial file of an interrupted checkpoint write", metadata: ["path": "\(path)"])
            } catch {
                logger.warning("cannot remove a stale partial checkpoint file", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        return removed
    }

    /// The newest checkpoint that reads back intact and that `isCompatible`
    /// accepts (it returns why not, or nil). Every file skipped on the way is
    /// logged as a warning with the reason; a damaged file is never loaded.
    public func latestValid(
        logger: Logger,
        isCompatible: (TrainingCheckpoint) -> String? = { _ in nil }
    ) -> (checkpoint: TrainingCheckpoint, path: String)? {
        for (_, path) in checkpointFiles() {
            guard let data = FileManager.default.contents(atPath: path) else {
                logger.warning("skipping unreadable checkpoint", metadata: ["path": "\(path)"])
                continue
            }
            do {
                let checkpoint = try TrainingCheckpoint.decode([UInt8](data), path: path)
                if let reason = isCompatible(checkpoint) {
                    logger.warning("skipping incompatible checkpoint", metadata: ["path": "\(path)", "reason": "\(reason)"])
                    continue
                }
                return (checkpoint, path)
            } catch {
                logger.warning("skipping invalid checkpoint", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        return nil
    }
}
