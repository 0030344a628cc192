import Foundation

/// Follows a progress file that another process appends lines to, as
/// `tail -F` does: each `poll()` returns the lines completed since the last.
///
/// - A file that does not exist (yet, or any more) yields nothing.
/// - A last line without its `\n` is held back until the writer ends it;
///   `drain()` returns it once the writer is gone.
/// - A file that shrank (truncated) or was replaced (another inode) is read
///   again from its start, and the poll says so.
/// - A line longer than `ProgressContract.maximumLineLength` is skipped
///   (its start is not kept in memory) and reported, never returned.
///
/// Line numbers count from 1 in the current file. Not thread-safe: one owner polls.
public struct ProgressFileFollower: Sendable {
    /// One complete line and its number in the file.
    public struct Line: Sendable, Hashable {
        public var number: Int
        public var text: String
    }

    /// What one poll found.
    public struct Batch: Sendable, Hashable {
        public var lines: [Line] = []
        /// Why reading started over or skipped something, for a warning each.
        public var notices: [String] = []
    }

    public let path: String
    private var offset: UInt64 = 0
    private var inode: UInt64?
    private var partial: [UInt8] = []
    /// Inside a line that is too long, until its `\n`.
    private var skipping = false
    private var lineNumber = 0

    public init(path: String) {
        self.path = path
    }

    /// Reads what was appended since the last poll.
    public mutating func poll() -> Batch {
        var batch = Batch()
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.uint64Value
        else { return batch }
        let fileInode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value
        if let inode, let fileInode, inode != fileInode {
            batch.notices.append("\(path) was replaced: reading the new file from its start")
            restart()
        } else if size < offset {
            batch.notices.append("\(path) was truncated: reading it again from its start")
            restart()
        }
        inode = fileInode
        guard size > offset, let handle = FileHandle(forReadingAtPath: path) else { return batch }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: offset)
            while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
                offset += UInt64(chunk.count)
                consume(chunk, into: &batch)
            }
        } catch {
            batch.notices.append("cannot read \(path): \(error)")
        }
        return batch
    }

    /// Polls once more and returns also the last line when it has no `\n`:
    /// for when the writer is gone.
    public mutating func drain() -> Batch {
        var batch = poll()
        if !partial.isEmpty && !skipping {
            lineNumber += 1
            batch.lines.append(Line(number: lineNumber, text: String(decoding: partial, as: UTF8.self)))
        }
        partial = []
        skipping = false
        return batch
    }

    private mutating func restart() {
        offset = 0
        partial = []
        skipping = false
        lineNumber = 0
    }

    private mutating func consume(_ chunk: Data, into batch: inout Batch) {
        var start = chunk.startIndex
        while start < chunk.endIndex {
            guard let newline = chunk[start...].firstIndex(of: 0x0A) else {
                if !skipping { partial += chunk[start...] }
                if partial.count > ProgressContract.maximumLineLength {
                    partial = []
                    skipping = true
                }
                return
            }
            lineNumber += 1
            if skipping || partial.count + (newline - start) > ProgressContract.maximumLineLength {
                batch.notices.append("line \(lineNumber) is longer than \(ProgressContract.maximumLineLength) bytes: skipped")
            } else {
                partial += chunk[start..<newline]
                if partial.last == 0x0D { partial.removeLast() }
                batch.lines.append(Line(number: lineNumber, text: String(decoding: partial, as: UTF8.self)))
            }
            partial = []
            skipping = false
            start = chunk.index(after: newline)
        }
    }
}
