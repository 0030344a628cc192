#if canImport(Glibc)
import Glibc
#endif

/// A ring transport over two TCP connections: one to the next rank (this rank
/// only writes to it) and one from the previous rank (this rank only reads).
///
/// Writes go straight from the caller's buffers with one vectored
/// `sendmsg` per call (header and payload together, no copy, no per-element
/// encoding); reads go straight into the destination.
public final class TCPTransport: RingTransport, Sendable {
    let next: PosixSocket
    let previous: PosixSocket
    private let nextName: String
    private let previousName: String

    init(next: PosixSocket, nextName: String, previous: PosixSocket, previousName: String) {
        // Frames carry floats as their in-memory bytes: the wire format is
        // little-endian, so the host must be too.
        precondition(1.littleEndian == 1, "the ring wire format needs a little-endian host")
        self.next = next
        self.previous = previous
        self.nextName = nextName
        self.previousName = previousName
    }

    public func writeToNext(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) throws(CollectiveError) -> Int {
        if next.isShutDown { throw CollectiveError(.closed, "transport closed") }
        var vectors = (
            iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count)
        )
        let sent = withUnsafeMutableBytes(of: &vectors) { raw -> Int in
            var message = msghdr()
            let base = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
            message.msg_iov = first.count == 0 ? base + 1 : base
            message.msg_iovlen = first.count == 0 ? 1 : 2
            return sendmsg(next.descriptor, &message, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }
        if sent >= 0 { return sent }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return 0 }
        if next.isShutDown { throw CollectiveError(.closed, "transport closed") }
        throw CollectiveError(.peerClosed, "the next rank (\(nextName)) closed the connection: \(PosixSocket.errorText(code))")
    }

    public func readFromPrevious(into buffer: UnsafeMutableRawBufferPointer) throws(CollectiveError) -> Int {
        if previous.isShutDown { throw CollectiveError(.closed, "transport closed") }
        guard buffer.count > 0 else { return 0 }
        let received = recv(previous.descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        if received > 0 { return received }
        if received == 0 {
            throw CollectiveError(.peerClosed, "the previous rank (\(previousName)) closed the connection")
        }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return 0 }
        if previous.isShutDown { throw CollectiveError(.closed, "transport closed") }
        throw CollectiveError(.peerClosed, "the previous rank (\(previousName)) broke the connection: \(PosixSocket.errorText(code))")
    }

    public func wait(readable: Bool, writable: Bool, deadline: ContinuousClock.Instant) throws(CollectiveError) {
        var entries = [
            pollfd(fd: readable ? previous.descriptor : -1, events: Int16(POLLIN), revents: 0),
            pollfd(fd: writable ? next.descriptor : -1, events: Int16(POLLOUT), revents: 0),
        ]
        while true {
            if next.isShutDown || previous.isShutDown { throw CollectiveError(.closed, "transport closed") }
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { throw CollectiveError(.timeout, "no data from \(previousName) and no room towards \(nextName) before the operation deadline") }
            let status = poll(&entries, 2, Int32(min(1000, PosixSocket.milliseconds(left))))
            if status > 0 { return }
            if status < 0 && errno != EINTR { throw CollectiveError(.ioError, "poll: \(PosixSocket.errorText())") }
        }
    }

    public func close() {
        next.shutdown()
        previous.shutdown()
    }
}
