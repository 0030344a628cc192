#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Rings whose ranks are separate processes, connected by TCP.
///
/// `connect(_:)` returns this process's rank. Each rank holds one connection
/// to the next rank (it writes) and one from the previous rank (it reads),
/// both authenticated with the job token; collectives run in call order on a
/// thread of the rank's own.
public enum TCPCommunicator {
    /// Listens on this rank's address, connects to the next rank (retrying
    /// until `connectTimeout` while peers start, in any order), accepts the
    /// previous rank, and authenticates both connections.
    ///
    /// Throws `invalidArgument` for a bad configuration, `authenticationFailed`
    /// when a peer holds a different token, `protocolViolation` when peers
    /// disagree on ranks or world size, `timeout` when the ring does not form
    /// before `connectTimeout`, `ioError` when the address cannot be bound.
    /// Connections refused during the rendezvous are logged to `logger`.
    public static func connect(_ configuration: RingConfiguration,
                               logger: Logger = Logger(label: "ringmaster.collective")) async throws -> RingCommunicator {
        try configuration.validate()
        guard configuration.worldSize > 1 else { return try await connect(configuration, listener: nil, logger: logger) }
        let own = try PosixSocket.splitHostPort(configuration.peers[configuration.rank])
        // The rank's own name may not resolve yet (cluster DNS publishes a
        // pod's record as it starts): retry binding until the connect deadline.
        let deadline = ContinuousClock.now + configuration.connectTimeout
        let address = configuration.peers[configuration.rank]
        let listener = try await onDedicatedThread(name: "ring-listen") { () throws(CollectiveError) -> PosixSocket in
            try listen(host: own.host, port: own.port, address: address, deadline: deadline, logger: logger)
        }
        return try await connect(configuration, listener: listener, logger: logger)
    }

    /// `connect(_:)` with a listening socket already bound to this rank's
    /// address (tests bind port 0 first, then tell every rank the real ports).
    static func connect(_ configuration: RingConfiguration, listener: PosixSocket?,
                        logger: Logger = Logger(label: "ringmaster.collective")) async throws(CollectiveError) -> RingCommunicator {
        try configuration.validate()
        let (rank, n) = (configuration.rank, configuration.worldSize)
        func make(_ transport: TCPTransport?) -> RingCommunicator {
            RingCommunicator(
                rank: rank, worldSize: n, transport: transport,
                operationTimeout: configuration.operationTimeout, segmentElements: configuration.segmentElements)
        }
        guard n > 1, let listener else { return make(nil) }
        defer { listener.shutdown() }

        let deadline = ContinuousClock.now + configuration.connectTimeout
        let abort = AbortFlag()
        let nextRank = (rank + 1) % n
        let previousRank = (rank + n - 1) % n
        let nextAddress = configuration.peers[nextRank]
        let token = configuration.authToken
        let timeoutText = "\(configuration.connectTimeout)"

        async let outgoing = onDedicatedThread(name: "ring-dial-\(rank)") { () throws(CollectiveError) -> PosixSocket in
            do throws(CollectiveError) {
                return try dial(address: nextAddress, rank: rank, nextRank: nextRank, worldSize: n, token: token,
                                deadline: deadline, abort: abort, timeoutText: timeoutText)
            } catch {
                abort.raise()
                throw error
            }
        }
        async let incoming = onDedicatedThread(name: "ring-accept-\(rank)") { () throws(CollectiveError) -> (PosixSocket, String) in
            do throws(CollectiveError) {
                return try accept(listener: listener, rank: rank, previousRank: previousRank, worldSize: n, token: token,
                                  deadline: deadline, abort: abort, timeoutText: timeoutText, logger: logger)
            } catch {
                abort.raise()
                throw error
            }
        }
        var failures: [CollectiveError] = []
        var next: PosixSocket? = nil
        var previous: (PosixSocket, String)? = nil
        do { next = try await outgoing } catch { failures.append(error as? CollectiveError ?? CollectiveError(.ioError, "\(error)")) }
        do { previous = try await incoming } catch { failures.append(error as? CollectiveError ?? CollectiveError(.ioError, "\(error)")) }
        if let next, let previous {
            return make(TCPTransport(next: next, nextName: "rank \(nextRank) at \(nextAddress)",
                                     previous: previous.0, previousName: "rank \(previousRank) from \(previous.1)"))
        }
        next?.shutdown()
        previous?.0.shutdown()
        // Name the most telling failure: a refusal explains a timeout or an abort.
        let priority: [CollectiveError.Code] = [.authenticationFailed, .protocolViolation, .invalidArgument, .ioError, .timeout, .peerClosed]
        let cause = priority.lazy.compactMap { code in failures.first { $0.code == code } }.first ?? failures[0]
        throw CollectiveError(cause.code, "rank \(rank): \(cause.message)")
    }

    /// Binds the rank's own address, retrying every 200 ms until `deadline`.
    private static func listen(host: String, port: UInt16, address: String, deadline: ContinuousClock.Instant,
                               logger: Logger) throws(CollectiveError) -> PosixSocket {
        while true {
            do throws(CollectiveError) {
                return try PosixSocket.listen(host: host, port: port)
            } catch {
                guard error.code == .ioError, ContinuousClock.now + .milliseconds(200) < deadline else { throw error }
                logger.debug("cannot listen yet", metadata: ["address": "\(address)", "reason": "\(error.message)"])
                usleep(200_000)
            }
        }
    }

    /// Connects to the next rank, retrying refused or unresolvable addresses
    /// every 50 ms until the deadline.
    private static func dial(address: String, rank: Int, nextRank: Int, worldSize: Int, token: String,
                             deadline: ContinuousClock.Instant, abort: AbortFlag, timeoutText: String) throws(CollectiveError) -> PosixSocket {
        let (host, port) = try PosixSocket.splitHostPort(address)
        var lastError: CollectiveError? = nil
        while true {
            if abort.isRaised { throw CollectiveError(.closed, "aborted") }
            if ContinuousClock.now >= deadline {
                throw CollectiveError(.timeout, "could not reach rank \(nextRank) at \(address) within \(timeoutText)"
                                      + (lastError.map { " (last error: \($0.message))" } ?? ""))
            }
            do throws(CollectiveError) {
                let socket = try PosixSocket.connect(host: host, port: port, deadline: deadline, abort: abort)
                do throws(CollectiveError) {
                    try PeerHandshake.connector(socket: socket, rank: rank, expectedRank: nextRank, worldSize: worldSize,
                                                token: token, peerName: address, deadline: deadline, abort: abort)
                } catch {
                    socket.shutdown()
                    throw error
                }
                return socket
            } catch where error.code == .peerClosed || error.code == .ioError {
                lastError = error
                usleep(50_000)
            }
        }
    }

    /// Accepts connections until one authenticates as the previous rank.
    /// Connections that fail the handshake are refused and the wait goes on;
    /// if none succeeds, the timeout error names the last refusal.
    private static func accept(listener: PosixSocket, rank: Int, previousRank: Int, worldSize: Int, token: String,
                               deadline: ContinuousClock.Instant, abort: AbortFlag, timeoutText: String,
                               logger: Logger) throws(CollectiveError) -> (PosixSocket, String) {
        var refused: CollectiveError? = nil
        while true {
            let socket: PosixSocket
            let name: String
            do throws(CollectiveError) {
                (socket, name) = try listener.accept(deadline: deadline, abort: abort)
            } catch where error.code == .timeout {
                if let refused {
                    throw CollectiveError(refused.code, "\(refused.message); no authenticated connection from rank \(previousRank) within \(timeoutText)")
                }
                throw CollectiveError(.timeout, "rank \(previousRank) did not connect within \(timeoutText)")
            }
            do throws(CollectiveError) {
                try PeerHandshake.acceptor(socket: socket, rank: rank, expectedRank: previousRank, worldSize: worldSize,
                                           token: token, peerName: name, deadline: deadline, abort: abort)
                return (socket, name)
            } catch where error.code != .closed {
                socket.shutdown()
                logger.warning("refused a ring connection", metadata: [
                    "rank": "\(rank)", "peer": "\(name)", "code": "\(error.code.rawValue)", "reason": "\(error.message)",
                ])
                refused = error
            }
        }
    }

    /// `count` TCP ports on `host` that were free a moment ago (bound to port
    /// 0 and released). Another process may take one before it is used: meant
    /// for local benchmarks and tests, not for production rendezvous.
    public static func freePorts(host: String = "127.0.0.1", count: Int) throws -> [Int] {
        let sockets = try (0..<count).map { _ in try PosixSocket.listen(host: host, port: 0) }
        return sockets.map { Int($0.localPort) }
    }
}
