#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A non-blocking TCP socket owned by one connection. `shutdown` may be called
/// from any thread (it wakes pollers); the descriptor itself is closed only in
/// `deinit`, so it can never be reused while another thread still polls it.
final class PosixSocket: Sendable {
    let descriptor: Int32
    private let isShut = Mutex(false)

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { _ = Glibc.close(descriptor) }

    var isShutDown: Bool { isShut.withLock { $0 } }

    /// Ends both directions; the peer reads end-of-stream. Idempotent.
    func shutdown() {
        let first = isShut.withLock { shut in
            defer { shut = true }
            return !shut
        }
        if first { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

    /// Socket buffer size asked for on every ring connection.
    static let bufferBytes: Int32 = 4 << 20

    /// A host and port from "host:port" or "[v6-address]:port".
    static func splitHostPort(_ address: String) throws(CollectiveError) -> (host: String, port: UInt16) {
        let host: Substring
        let portText: Substring
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            host = address[address.index(after: address.startIndex)..<close]
            let rest = address[address.index(after: close)...]
            guard rest.hasPrefix(":") else { throw CollectiveError(.invalidArgument, "peer address \"\(address)\" has no port") }
            portText = rest.dropFirst()
        } else {
            guard let colon = address.lastIndex(of: ":") else {
                throw CollectiveError(.invalidArgument, "peer address \"\(address)\" is not host:port")
            }
            host = address[..<colon]
            portText = address[address.index(after: colon)...]
        }
        guard !host.isEmpty, let port = UInt16(portText) else {
            throw CollectiveError(.invalidArgument, "peer address \"\(address)\" is not host:port with a port in 0...65535")
        }
        return (String(host), port)
    }

    /// Resolved stream addresses of `host:port`.
    static func resolve(host: String, port: UInt16, passive: Bool) throws(CollectiveError) -> [(family: Int32, address: sockaddr_storage, length: socklen_t)] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            throw CollectiveError(.ioError, "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var results: [(Int32, sockaddr_storage, socklen_t)] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            var storage = sockaddr_storage()
            let length = current.pointee.ai_addrlen
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: current.pointee.ai_addr, count: Int(length)))
            }
            results.append((current.pointee.ai_family, storage, length))
            entry = current.pointee.ai_next
        }
        return results
    }

    static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// A new non-blocking socket with ring options: large buffers (set before
    /// connect or listen so the window scale covers them), no Nagle delay.
    static func make(family: Int32) throws(CollectiveError) -> PosixSocket {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CollectiveError(.ioError, "socket(): \(errorText())") }
        let socket = PosixSocket(descriptor: fd)
        socket.setOption(SOL_SOCKET, SO_SNDBUF, bufferBytes)
        socket.setOption(SOL_SOCKET, SO_RCVBUF, bufferBytes)
        socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        return socket
    }

    func setOption(_ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// A socket listening on `host:port` (port 0 picks a free one).
    static func listen(host: String, port: UInt16) throws(CollectiveError) -> PosixSocket {
        var lastError = "no address"
        for candidate in try resolve(host: host, port: port, passive: true) {
            let socket = try make(family: candidate.family)
            socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
            var address = candidate.address
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket.descriptor, $0, candidate.length) }
            }
            guard bound == 0 else { lastError = "bind: \(errorText())"; continue }
            guard Glibc.listen(socket.descriptor, 64) == 0 else { lastError = "listen: \(errorText())"; continue }
            return socket
        }
        throw CollectiveError(.ioError, "cannot listen on \(host):\(port): \(lastError)")
    }

    /// The port this socket is bound to.
    var localPort: UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return withUnsafeBytes(of: &storage) { raw in
            // sin_port and sin6_port share the offset right after the family.
            UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        }
    }

    /// One connection attempt, bounded by `deadline`. Throws `peerClosed` for
    /// a refused or unreachable peer (worth retrying) and `timeout`.
    static func connect(host: String, port: UInt16, deadline: ContinuousClock.Instant, abort: AbortFlag) throws(CollectiveError) -> PosixSocket {
        var lastError = CollectiveError(.peerClosed, "no address for \(host)")
        for candidate in try resolve(host: host, port: port, passive: false) {
            let socket = try make(family: candidate.family)
            var address = candidate.address
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket.descriptor, $0, candidate.length) }
            }
            if status == 0 { return socket }
            guard errno == EINPROGRESS else {
                lastError = CollectiveError(.peerClosed, "connect to \(host):\(port): \(errorText())")
                continue
            }
            try socket.poll(events: Int16(POLLOUT), deadline: deadline, abort: abort)
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(socket.descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
            if failure == 0 { return socket }
            lastError = CollectiveError(.peerClosed, "connect to \(host):\(port): \(errorText(failure))")
        }
        throw lastError
    }

    /// Accepts one connection, or throws `timeout` at `deadline`.
    func accept(deadline: ContinuousClock.Instant, abort: AbortFlag) throws(CollectiveError) -> (PosixSocket, String) {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.accept(descriptor, $0, &length)
                }
            }
            if fd >= 0 {
                let socket = PosixSocket(descriptor: fd)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
                return (socket, Self.describe(storage))
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED else {
                throw CollectiveError(.ioError, "accept: \(Self.errorText())")
            }
            try poll(events: Int16(POLLIN), deadline: deadline, abort: abort)
        }
    }

    static func describe(_ storage: sockaddr_storage) -> String {
        var storage = storage
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, socklen_t(MemoryLayout<sockaddr_storage>.size), &host, socklen_t(host.count),
                            &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return "unknown address" }
        return "\(String(cString: host)):\(String(cString: service))"
    }

    /// Waits until `events` are ready (or an error/hang-up is), in slices so a
    /// raised `abort` is noticed within 50 ms.
    func poll(events: Int16, deadline: ContinuousClock.Instant, abort: AbortFlag? = nil) throws(CollectiveError) {
        while true {
            if abort?.isRaised == true { throw CollectiveError(.closed, "aborted") }
            if isShutDown { throw CollectiveError(.closed, "socket closed") }
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { throw CollectiveError(.timeout, "no progress before the deadline") }
            let cap = abort == nil ? 1000 : 50
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let status = Glibc.poll(&entry, 1, Int32(min(cap, PosixSocket.milliseconds(left))))
            if status > 0 { return }
            if status < 0 && errno != EINTR { throw CollectiveError(.ioError, "poll: \(Self.errorText())") }
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(min(seconds, 3600)) * 1000 + Int(attoseconds / 1_000_000_000_000_000) + 1)
    }

    /// Writes all of `bytes` before `deadline` (for handshakes).
    func writeAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant, abort: AbortFlag) throws(CollectiveError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if n > 0 { offset += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                try poll(events: Int16(POLLOUT), deadline: deadline, abort: abort)
                continue
            }
            throw CollectiveError(.peerClosed, "peer closed the connection during the handshake (\(Self.errorText()))")
        }
    }

    /// Reads exactly `count` bytes before `deadline` (for handshakes).
    func readExactly(_ count: Int, deadline: ContinuousClock.Instant, abort: AbortFlag) throws(CollectiveError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = bytes.withUnsafeMutableBytes { raw in
                recv(descriptor, raw.baseAddress! + offset, count - offset, Int32(MSG_DONTWAIT))
            }
            if n > 0 { offset += n; continue }
            if n == 0 { throw CollectiveError(.peerClosed, "peer closed the connection during the handshake") }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try poll(events: Int16(POLLIN), deadline: deadline, abort: abort)
                continue
            }
            throw CollectiveError(.peerClosed, "peer closed the connection during the handshake (\(Self.errorText()))")
        }
        return bytes
    }
}

/// A flag one thread raises to make another give up waiting.
final class AbortFlag: Sendable {
    private let raised = Mutex(false)
    var isRaised: Bool { raised.withLock { $0 } }
    func raise() { raised.withLock { $0 = true } }
}
