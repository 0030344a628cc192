import Foundation

/// Deliberate misbehaviour of the local API server, for testing clients
/// (informers, retries, conflict handling) against the failures a real
/// cluster produces. Off by default (`FaultInjection.none`).
///
/// These faults are injected on purpose: a real API server produces them under
/// load or during upgrades, which cannot be staged on one machine.
public struct FaultInjection: Sendable, Hashable, Codable {
    /// An HTTP error answered instead of serving a request.
    public struct ErrorAnswer: Sendable, Hashable, Codable {
        /// 409, 410, 429 or 500.
        public var code: Int
        /// Probability in 0...1 that a matching request gets this answer.
        public var rate: Double
        /// The verbs affected (`get`, `list`, `watch`, `create`, `update`,
        /// `patch`, `delete`); empty means every verb.
        public var verbs: Set<String>

        public init(code: Int, rate: Double, verbs: Set<String> = []) {
            self.code = code
            self.rate = rate
            self.verbs = verbs
        }
    }

    /// Close every watch stream after it has sent this many events.
    public var dropWatchAfterEvents: Int?
    /// Probability in 0...1 that a watch stream is closed after each event.
    public var dropWatchRate: Double
    /// Error answers, checked in order.
    public var errors: [ErrorAnswer]
    /// Delay added before answering each request.
    public var latency: Duration

    public init(
        dropWatchAfterEvents: Int? = nil,
        dropWatchRate: Double = 0,
        errors: [ErrorAnswer] = [],
        latency: Duration = .zero
    ) {
        self.dropWatchAfterEvents = dropWatchAfterEvents
        self.dropWatchRate = dropWatchRate
        self.errors = errors
        self.latency = latency
    }

    /// No faults: the server behaves as well as it can.
    public static let none = FaultInjection()

    /// Whether any fault is configured.
    public var isActive: Bool {
        dropWatchAfterEvents != nil || dropWatchRate > 0 || !errors.isEmpty || latency > .zero
    }

    /// The error to answer for a request with `verb`, drawn with `random` in 0..<1.
    func errorCode(verb: String, random: Double) -> Int? {
        for answer in errors where answer.verbs.isEmpty || answer.verbs.contains(verb) {
            if random < answer.rate { return answer.code }
        }
        return nil
    }

    /// Parses the `--fault` flag syntax of `ringmaster local up`:
    /// comma-separated `error=<code>:<rate>[:<verb>|<verb>...]`,
    /// `drop-watch-after=<n>`, `drop-watch-rate=<rate>`, `latency-ms=<ms>`.
    public init(parsing text: String) throws {
        self.init()
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw FaultInjectionParseError(item: item) }
            switch parts[0] {
            case "error":
                let fields = parts[1].split(separator: ":").map(String.init)
                guard fields.count >= 2, let code = Int(fields[0]), let rate = Double(fields[1]),
                    [409, 410, 429, 500].contains(code), (0...1).contains(rate)
                else { throw FaultInjectionParseError(item: item) }
                let verbs = fields.count > 2 ? Set(fields[2].split(separator: "|").map(String.init)) : []
                errors.append(ErrorAnswer(code: code, rate: rate, verbs: verbs))
            case "drop-watch-after":
                guard let n = Int(parts[1]), n > 0 else { throw FaultInjectionParseError(item: item) }
                dropWatchAfterEvents = n
            case "drop-watch-rate":
                guard let rate = Double(parts[1]), (0...1).contains(rate) else { throw FaultInjectionParseError(item: item) }
                dropWatchRate = rate
            case "latency-ms":
                guard let ms = Int(parts[1]), ms >= 0 else { throw FaultInjectionParseError(item: item) }
                latency = .milliseconds(ms)
            default:
                throw FaultInjectionParseError(item: item)
            }
        }
    }
}

/// A `--fault` item that does not parse.
public struct FaultInjectionParseError: Error, CustomStringConvertible {
    public var item: String
    public var description: String {
        "invalid fault '\(item)': expected error=<409|410|429|500>:<rate>[:<verbs separated by |>], drop-watch-after=<n>, drop-watch-rate=<rate> or latency-ms=<ms>"
    }
}
