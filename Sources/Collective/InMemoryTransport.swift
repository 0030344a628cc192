import Foundation

/// A ring transport between ranks in one process: bounded byte pipes, one per
/// direction of each link, guarded by one condition shared by the group.
///
/// It carries the same frames through the same engine as TCP, including
/// partial reads and writes when a pipe is full, so tests of the algorithm
/// in one process exercise the code that runs between processes.
public final class InMemoryTransport: RingTransport, @unchecked Sendable {
    private let group: InMemoryRing
    private let toNext: InMemoryPipe
    private let fromPrevious: InMemoryPipe

    fileprivate init(group: InMemoryRing, toNext: InMemoryPipe, fromPrevious: InMemoryPipe) {
        self.group = group
        self.toNext = toNext
        self.fromPrevious = fromPrevious
    }

    /// Transports for `worldSize` ranks joined in a ring; element `i` is rank
    /// `i`'s. Each pipe holds at most `capacity` bytes in flight.
    public static func ring(worldSize: Int, capacity: Int = 1 << 20) -> [InMemoryTransport] {
        precondition(worldSize >= 1 && capacity >= 1)
        let group = InMemoryRing()
        // pipes[i] carries rank i -> rank i+1.
        let pipes = (0..<worldSize).map { _ in InMemoryPipe(capacity: capacity) }
        return (0..<worldSize).map { rank in
            InMemoryTransport(group: group, toNext: pipes[rank], fromPrevious: pipes[(rank + worldSize - 1) % worldSize])
        }
    }

    public func writeToNext(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) throws(CollectiveError) -> Int {
        group.condition.lock()
        defer { group.condition.unlock() }
        if toNext.writerClosed { throw CollectiveError(.closed, "transport closed") }
        if toNext.readerClosed { throw CollectiveError(.peerClosed, "the next rank closed its link") }
        var written = toNext.append(first)
        if written == first.count { written += toNext.append(second) }
        if written > 0 { group.condition.broadcast() }
        return written
    }

    public func readFromPrevious(into buffer: UnsafeMutableRawBufferPointer) throws(CollectiveError) -> Int {
        group.condition.lock()
        defer { group.condition.unlock() }
        if fromPrevious.readerClosed { throw CollectiveError(.closed, "transport closed") }
        let n = fromPrevious.take(into: buffer)
        if n > 0 {
            group.condition.broadcast()
            return n
        }
        if fromPrevious.writerClosed && buffer.count > 0 {
            throw CollectiveError(.peerClosed, "the previous rank closed its link")
        }
        return 0
    }

    public func wait(readable: Bool, writable: Bool, deadline: ContinuousClock.Instant) throws(CollectiveError) {
        group.condition.lock()
        defer { group.condition.unlock() }
        while true {
            if toNext.writerClosed || fromPrevious.readerClosed { throw CollectiveError(.closed, "transport closed") }
            if readable && (fromPrevious.count > 0 || fromPrevious.writerClosed) { return }
            if writable && (toNext.count < toNext.capacity || toNext.readerClosed) { return }
            let now = ContinuousClock.now
            if now >= deadline { throw CollectiveError(.timeout, "no progress from the ring before the operation deadline") }
            let left = now.duration(to: deadline)
            let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) * 1e-18
            _ = group.condition.wait(until: Date(timeIntervalSinceNow: min(seconds, 3600)))
        }
    }

    public func close() {
        group.condition.lock()
        toNext.writerClosed = true
        fromPrevious.readerClosed = true
        group.condition.broadcast()
        group.condition.unlock()
    }
}

/// The lock and condition shared by the pipes of one in-memory ring.
private final class InMemoryRing: @unchecked Sendable {
    let condition = NSCondition()
}

/// A bounded byte FIFO; accessed only under the ring's lock.
private final class InMemoryPipe: @unchecked Sendable {
    let capacity: Int
    private let storage: UnsafeMutableRawPointer
    private var head = 0
    private(set) var count = 0
    var writerClosed = false
    var readerClosed = false

    init(capacity: Int) {
        self.capacity = capacity
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Appends as much of `bytes` as fits; returns how much.
    func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let n = min(bytes.count, capacity - count)
        guard n > 0, let base = bytes.baseAddress else { return 0 }
        let tail = (head + count) % capacity
        let first = min(n, capacity - tail)
        (storage + tail).copyMemory(from: base, byteCount: first)
        if n > first { storage.copyMemory(from: base + first, byteCount: n - first) }
        count += n
        return n
    }

    /// Moves up to `buffer.count` bytes out; returns how many.
    func take(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, count)
        guard n > 0, let base = buffer.baseAddress else { return 0 }
        let first = min(n, capacity - head)
        base.copyMemory(from: storage + head, byteCount: first)
        if n > first { (base + first).copyMemory(from: storage, byteCount: n - first) }
        head = (head + n) % capacity
        count -= n
        return n
    }
}
