import Foundation
import KubeClient

/// The progress contract between a bring-your-own trainer and the progress
/// sidecar (docs/progress-contract.md): the trainer appends JSON lines to the
/// file named by `fileVariable`; the sidecar merges them into the job's status.
public enum ProgressContract {
    /// The variable naming the progress file in the trainer's container.
    public static let fileVariable = "RINGMASTER_PROGRESS_FILE"
    /// A longer line is skipped: it is not a progress line.
    public static let maximumLineLength = 65_536
}

/// One line of a progress file, parsed. Every field is optional: a line
/// carries what the trainer knows, and `applied(to:at:)` leaves the rest.
public struct ProgressLine: Sendable, Hashable {
    public var epoch: Int?
    public var totalEpochs: Int?
    public var step: Int?
    public var loss: Double?
    public var accuracy: Double?
    public var samplesPerSecond: Double?
    /// Set for a checkpoint line (its `step` and `epoch` then describe the checkpoint).
    public var checkpoint: String?
    public var artifact: String?
    public var metrics: TrainingMetrics?

    public init(
        epoch: Int? = nil, totalEpochs: Int? = nil, step: Int? = nil, loss: Double? = nil, accuracy: Double? = nil,
        samplesPerSecond: Double? = nil, checkpoint: String? = nil, artifact: String? = nil, metrics: TrainingMetrics? = nil
    ) {
        self.epoch = epoch
        self.totalEpochs = totalEpochs
        self.step = step
        self.loss = loss
        self.accuracy = accuracy
        self.samplesPerSecond = samplesPerSecond
        self.checkpoint = checkpoint
        self.artifact = artifact
        self.metrics = metrics
    }

    /// Parses one line (without its `\n`). Unknown keys are ignored; a key of
    /// the wrong type, a value that is not a JSON object, or a line longer
    /// than `ProgressContract.maximumLineLength` throws, naming the problem.
    public static func parse(_ text: String) throws(ProgressLineError) -> ProgressLine {
        guard text.utf8.count <= ProgressContract.maximumLineLength else {
            throw ProgressLineError("longer than \(ProgressContract.maximumLineLength) bytes")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw ProgressLineError("not JSON")
        }
        guard let object = value.objectValue else { throw ProgressLineError("not a JSON object") }
        var line = ProgressLine()
        line.epoch = try integer(object, "epoch")
        line.totalEpochs = try integer(object, "total_epochs")
        line.step = try integer(object, "step")
        line.loss = try number(object, "loss")
        line.accuracy = try number(object, "accuracy")
        line.samplesPerSecond = try number(object, "samples_per_second")
        line.checkpoint = try string(object, "checkpoint")
        line.artifact = try string(object, "artifact")
        switch object["metrics"] {
        case nil, .null?:
            break
        case .object(let members)?:
            line.metrics = TrainingMetrics(
                testAccuracy: try number(members, "test_accuracy", in: "metrics."),
                testLoss: try number(members, "test_loss", in: "metrics."),
                trainingSeconds: try number(members, "training_seconds", in: "metrics."),
                samplesPerSecond: try number(members, "samples_per_second", in: "metrics."))
        default:
            throw ProgressLineError("\"metrics\" must be an object")
        }
        return line
    }

    /// `status` with this line merged in, read at `time`: a checkpoint line
    /// sets `checkpoint` (path, its step, `time`); any other line sets the
    /// progress keys it has (and `lastUpdateTime` when it has one), and
    /// `artifact` and `metrics` field by field.
    public func applied(to status: TrainingJobStatus, at time: Date) -> TrainingJobStatus {
        var status = status
        if let checkpoint {
            status.checkpoint = CheckpointStatus(step: step, path: checkpoint, time: RFC3339.format(time))
        } else if epoch != nil || totalEpochs != nil || step != nil || loss != nil || accuracy != nil || samplesPerSecond != nil {
            var progress = status.progress ?? TrainingProgress()
            progress.epoch = epoch ?? progress.epoch
            progress.totalEpochs = totalEpochs ?? progress.totalEpochs
            progress.step = step ?? progress.step
            progress.loss = loss ?? progress.loss
            progress.accuracy = accuracy ?? progress.accuracy
            progress.samplesPerSecond = samplesPerSecond ?? progress.samplesPerSecond
            progress.lastUpdateTime = RFC3339.format(time)
            status.progress = progress
        }
        if let artifact {
            var current = status.artifact ?? ArtifactStatus()
            current.path = artifact
            status.artifact = current
        }
        if let metrics {
            var current = status.metrics ?? TrainingMetrics()
            current.testAccuracy = metrics.testAccuracy ?? current.testAccuracy
            current.testLoss = metrics.testLoss ?? current.testLoss
            current.trainingSeconds = metrics.trainingSeconds ?? current.trainingSeconds
            current.samplesPerSecond = metrics.samplesPerSecond ?? current.samplesPerSecond
            status.metrics = current
        }
        return status
    }

    private static func integer(_ object: [String: JSONValue], _ key: String) throws(ProgressLineError) -> Int? {
        guard let value = object[key], value != .null else { return nil }
        guard let integer = value.intValue, let result = Int(exactly: integer) else {
            throw ProgressLineError("\"\(key)\" must be an integer")
        }
        return result
    }

    private static func number(_ object: [String: JSONValue], _ key: String, in prefix: String = "") throws(ProgressLineError) -> Double? {
        guard let value = object[key], value != .null else { return nil }
        guard let number = value.doubleValue, number.isFinite else {
            throw ProgressLineError("\"\(prefix)\(key)\" must be a finite number")
        }
        return number
    }

    private static func string(_ object: [String: JSONValue], _ key: String) throws(ProgressLineError) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard let string = value.stringValue, !string.isEmpty else {
            throw ProgressLineError("\"\(key)\" must be a non-empty string")
        }
        return string
    }
}

/// Why a progress line was skipped.
public struct ProgressLineError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
