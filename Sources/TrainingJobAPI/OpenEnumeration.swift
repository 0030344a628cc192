/// A string-valued enumeration that decodes any string.
///
/// The API server is the first line of defence (the CRD lists the allowed
/// values), but a cluster that does not evaluate the schema can still hand the
/// operator an unknown value. Decoding must not fail on it: the value is kept,
/// and `TrainingJob.validate()` reports it with the allowed values.
public protocol OpenEnumeration: RawRepresentable, Codable, Hashable, Sendable,
    ExpressibleByStringLiteral, CustomStringConvertible where RawValue == String
{
    /// The values this version of the API knows, in the order the CRD lists them.
    static var knownValues: [Self] { get }
    init(rawValue: String)
}

extension OpenEnumeration {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
    /// Whether the value is one of `knownValues`.
    public var isKnown: Bool { Self.knownValues.contains(self) }
    /// The known values as strings, for schemas and messages.
    public static var knownRawValues: [String] { knownValues.map(\.rawValue) }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The optimizer the workers run.
public struct Optimizer: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Stochastic gradient descent with (optional) momentum.
    public static let sgd: Optimizer = "sgd"
    /// Adam with the usual betas (0.9, 0.999).
    public static let adam: Optimizer = "adam"
    public static let knownValues: [Optimizer] = [.sgd, .adam]
}

/// Where a data set comes from.
public struct DatasetSource: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A data set the worker image ships, chosen by `dataset.name`.
    public static let builtin: DatasetSource = "builtin"
    /// Files at `dataset.path` in the worker container.
    public static let path: DatasetSource = "path"
    public static let knownValues: [DatasetSource] = [.builtin, .path]
}

/// The file format of a data set.
public struct DatasetFormat: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed).
    public static let idx: DatasetFormat = "idx"
    /// Comma-separated values with a header row and one label column.
    public static let csv: DatasetFormat = "csv"
    public static let knownValues: [DatasetFormat] = [.idx, .csv]
}

/// What happens to the checkpoint and artifact claim when the TrainingJob is deleted.
public struct RetainPolicy: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The claim outlives the TrainingJob.
    public static let retain: RetainPolicy = "Retain"
    /// The claim is deleted with the TrainingJob.
    public static let delete: RetainPolicy = "Delete"
    public static let knownValues: [RetainPolicy] = [.retain, .delete]
}

/// Which worker Pods are deleted once the job has finished.
public struct CleanPodPolicy: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Delete every worker Pod.
    public static let all: CleanPodPolicy = "All"
    /// Delete the Pods still running; keep finished ones for their logs.
    public static let running: CleanPodPolicy = "Running"
    /// Keep every Pod.
    public static let none: CleanPodPolicy = "None"
    public static let knownValues: [CleanPodPolicy] = [.all, .running, .none]
}
