/// The error every collective, transport and rendezvous operation throws.
///
/// After a communicator throws one of these from a collective it is unusable:
/// every later call throws the same error.
public struct CollectiveError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for callers that react differently to each kind.
    public enum Code: String, Sendable, Hashable {
        /// A peer closed its connection or died.
        case peerClosed
        /// An operation or the rendezvous did not finish before its deadline.
        case timeout
        /// A peer could not prove it holds the job's token, or refused ours.
        case authenticationFailed
        /// A peer sent bytes that do not follow the protocol (bad magic, wrong
        /// length, mismatched collective, rank or world size).
        case protocolViolation
        /// The caller passed something no collective can accept.
        case invalidArgument
        /// The communicator was shut down.
        case closed
        /// A socket call failed for a reason other than the peer closing.
        case ioError
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
