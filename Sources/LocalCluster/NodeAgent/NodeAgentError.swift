/// Why the node agent could not do something it was asked to do.
///
/// Every error carries a stable `code` and a message meant for the person
/// reading `kubectl describe pod` or the agent's log.
public struct NodeAgentError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// A quantity such as `2Gi` or `500m` could not be parsed.
        case invalidQuantity
        /// A process could not be started (`posix_spawn` failed).
        case spawnFailed
        /// A file or directory under the data directory could not be written.
        case fileSystem
        /// A container refers to an image the local cluster cannot run.
        case imageNotAvailable
        /// A container's configuration refers to something missing (a Secret,
        /// a ConfigMap key, an unsupported field path or volume type).
        case containerConfig
        /// The pool of local pod addresses is exhausted.
        case addressesExhausted
        /// The agent's configuration is unusable.
        case invalidConfiguration
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
