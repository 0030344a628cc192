/// `spec.dataset`: what the workers train on. Immutable once the job exists.
public struct DatasetSpec: Codable, Sendable, Hashable {
    /// Where the read-only data-set claim (`volume`) is mounted in every worker.
    public static let volumeMountPath = "/data"
    /// The data sets the worker image ships, by name.
    public static let builtinNames = ["fashion-mnist"]

    public var source: DatasetSource
    /// For `builtin`: which data set.
    public var name: String
    /// For `path`: the absolute path in the worker container of a directory
    /// of IDX files (`train-images-idx3-ubyte[.gz]` and siblings) or of a
    /// directory holding `train.csv` and `test.csv`.
    public var path: String?
    public var format: DatasetFormat
    /// For `csv`: the column holding the class label (0-based integers).
    public var labelColumn: String
    /// Train on at most this many samples (all when nil); for quick runs.
    public var trainLimit: Int?
    /// Evaluate on at most this many samples (all when nil).
    public var testLimit: Int?
    /// An existing PersistentVolumeClaim holding the data set, mounted
    /// read-only at `volumeMountPath`.
    public var volume: String?

    public init(
        source: DatasetSource = TrainingJobDefaults.datasetSource,
        name: String = TrainingJobDefaults.datasetName,
        path: String? = nil,
        format: DatasetFormat = TrainingJobDefaults.datasetFormat,
        labelColumn: String = TrainingJobDefaults.datasetLabelColumn,
        trainLimit: Int? = nil,
        testLimit: Int? = nil,
        volume: String? = nil
    ) {
        self.source = source
        self.name = name
        self.path = path
        self.format = format
        self.labelColumn = labelColumn
        self.trainLimit = trainLimit
        self.testLimit = testLimit
        self.volume = volume
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case source, name, path, format, labelColumn, trainLimit, testLimit, volume
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decodeIfPresent(DatasetSource.self, forKey: .source) ?? TrainingJobDefaults.datasetSource
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? TrainingJobDefaults.datasetName
        path = try c.decodeIfPresent(String.self, forKey: .path)
        format = try c.decodeIfPresent(DatasetFormat.self, forKey: .format) ?? TrainingJobDefaults.datasetFormat
        labelColumn = try c.decodeIfPresent(String.self, forKey: .labelColumn) ?? TrainingJobDefaults.datasetLabelColumn
        trainLimit = try c.decodeIfPresent(Int.self, forKey: .trainLimit)
        testLimit = try c.decodeIfPresent(Int.self, forKey: .testLimit)
        volume = try c.decodeIfPresent(String.self, forKey: .volume)
    }
}
