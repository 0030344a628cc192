import Foundation

/// `status.workers`: how many worker Pods are in which state.
public struct WorkerCounts: Codable, Sendable, Hashable {
    /// Pods that exist and have not finished (pending or running).
    public var active: Int
    /// Pods running with their Ready condition True.
    public var ready: Int
    public var succeeded: Int
    public var failed: Int

    public init(active: Int = 0, ready: Int = 0, succeeded: Int = 0, failed: Int = 0) {
        self.active = active
        self.ready = ready
        self.succeeded = succeeded
        self.failed = failed
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case active, ready, succeeded, failed }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        active = try c.decodeIfPresent(Int.self, forKey: .active) ?? 0
        ready = try c.decodeIfPresent(Int.self, forKey: .ready) ?? 0
        succeeded = try c.decodeIfPresent(Int.self, forKey: .succeeded) ?? 0
        failed = try c.decodeIfPresent(Int.self, forKey: .failed) ?? 0
    }
}

/// `status.progress`: live training progress, written by rank 0.
public struct TrainingProgress: Codable, Sendable, Hashable {
    /// The epoch in progress, 1-based.
    public var epoch: Int?
    public var totalEpochs: Int?
    /// Optimizer steps taken since the start (across restarts).
    public var step: Int?
    /// Mean training loss over the recent steps.
    public var loss: Double?
    /// Training accuracy (0...1) over the recent steps.
    public var accuracy: Double?
    /// Samples per second over all workers.
    public var samplesPerSecond: Double?
    /// RFC 3339 time of this report; stall detection compares against it.
    public var lastUpdateTime: String?

    public init(
        epoch: Int? = nil, totalEpochs: Int? = nil, step: Int? = nil, loss: Double? = nil,
        accuracy: Double? = nil, samplesPerSecond: Double? = nil, lastUpdateTime: String? = nil
    ) {
        self.epoch = epoch
        self.totalEpochs = totalEpochs
        self.step = step
        self.loss = loss
        self.accuracy = accuracy
        self.samplesPerSecond = samplesPerSecond
        self.lastUpdateTime = lastUpdateTime
    }

    /// `loss` to four significant digits (`0.4300`, `2.303`, `1.235e+04`), for
    /// the LOSS printer column; nil when `loss` is unset or not finite.
    public var lossDisplay: String? { loss.flatMap { Self.fourSignificantDigits($0) } }

    /// `accuracy` as a percentage with two decimals (`84.88%`), for the
    /// ACCURACY printer column; nil when `accuracy` is unset or not finite.
    public var accuracyDisplay: String? { accuracy.flatMap { Self.percentage($0) } }

    /// Rounds to four significant digits, as a decimal for magnitudes from
    /// 1e-4 to below 1e4 and in exponent form outside it.
    public static func fourSignificantDigits(_ value: Double) -> String? {
        guard value.isFinite else { return nil }
        if value == 0 { return "0.000" }
        // Exponent form rounds once and gives the exponent after rounding
        // (9.99996 is 1.000e+01), so the decimal form rounds at the same digit.
        let scientific = String(format: "%.3e", value)
        guard let exponent = scientific.split(separator: "e").last.flatMap({ Int($0) }) else { return scientific }
        guard (-4...3).contains(exponent) else { return scientific }
        return String(format: "%.\(3 - exponent)f", value)
    }

    /// `0.8488` as `84.88%`.
    public static func percentage(_ ratio: Double) -> String? {
        guard ratio.isFinite else { return nil }
        return String(format: "%.2f%%", ratio * 100)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case epoch, totalEpochs, step, loss, accuracy, samplesPerSecond, lastUpdateTime
        /// Written from `loss` and `accuracy` on every encoding, never read back:
        /// a report carries the numbers and their column text together, so
        /// `kubectl get -w` never shows one without the other.
        case lossDisplay, accuracyDisplay
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decodeIfPresent(Int.self, forKey: .epoch)
        totalEpochs = try c.decodeIfPresent(Int.self, forKey: .totalEpochs)
        step = try c.decodeIfPresent(Int.self, forKey: .step)
        loss = try c.decodeIfPresent(Double.self, forKey: .loss)
        accuracy = try c.decodeIfPresent(Double.self, forKey: .accuracy)
        samplesPerSecond = try c.decodeIfPresent(Double.self, forKey: .samplesPerSecond)
        lastUpdateTime = try c.decodeIfPresent(String.self, forKey: .lastUpdateTime)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(epoch, forKey: .epoch)
        try c.encodeIfPresent(totalEpochs, forKey: .totalEpochs)
        try c.encodeIfPresent(step, forKey: .step)
        try c.encodeIfPresent(loss, forKey: .loss)
        try c.encodeIfPresent(accuracy, forKey: .accuracy)
        try c.encodeIfPresent(samplesPerSecond, forKey: .samplesPerSecond)
        try c.encodeIfPresent(lastUpdateTime, forKey: .lastUpdateTime)
        try c.encodeIfPresent(lossDisplay, forKey: .lossDisplay)
        try c.encodeIfPresent(accuracyDisplay, forKey: .accuracyDisplay)
    }
}

/// `status.checkpoint`: the newest complete checkpoint.
public struct CheckpointStatus: Codable, Sendable, Hashable {
    public var step: Int?
    /// Path of the checkpoint file in the worker containers.
    public var path: String?
    /// RFC 3339 time it was written.
    public var time: String?

    public init(step: Int? = nil, path: String? = nil, time: String? = nil) {
        self.step = step
        self.path = path
        self.time = time
    }
}

/// `status.failure`: the last worker failure, kept after its Pod is gone.
public struct FailureStatus: Codable, Sendable, Hashable {
    public var rank: Int?
    /// Name of the failed Pod.
    public var pod: String?
    public var exitCode: Int?
    /// Machine-readable cause (for example `Error`, `OOMKilled`, `Evicted`).
    public var reason: String?
    /// The container's termination message or the Pod's status message.
    public var message: String?

    public init(rank: Int? = nil, pod: String? = nil, exitCode: Int? = nil, reason: String? = nil, message: String? = nil) {
        self.rank = rank
        self.pod = pod
        self.exitCode = exitCode
        self.reason = reason
        self.message = message
    }
}

/// `status.metrics`: the final evaluation, written once training succeeded.
public struct TrainingMetrics: Codable, Sendable, Hashable {
    /// Accuracy (0...1) on the test set.
    public var testAccuracy: Double?
    public var testLoss: Double?
    /// Wall-clock seconds of training, restarts included.
    public var trainingSeconds: Double?
    public var samplesPerSecond: Double?

    public init(testAccuracy: Double? = nil, testLoss: Double? = nil, trainingSeconds: Double? = nil, samplesPerSecond: Double? = nil) {
        self.testAccuracy = testAccuracy
        self.testLoss = testLoss
        self.trainingSeconds = trainingSeconds
        self.samplesPerSecond = samplesPerSecond
    }
}

/// `status.artifact`: where the trained model is.
public struct ArtifactStatus: Codable, Sendable, Hashable {
    /// Path of the model file on the claim, as mounted in the workers.
    public var path: String?
    /// The PersistentVolumeClaim holding it.
    public var claimName: String?

    public init(path: String? = nil, claimName: String? = nil) {
        self.path = path
        self.claimName = claimName
    }
}
