import Foundation

/// Where a job's data comes from, and how to read it.
public struct DatasetLoader: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable {
        case idx
        case csv
    }

    /// The directory (IDX, or CSV with `train.csv` and `test.csv`) or file (CSV).
    public var path: String
    public var format: Format
    /// The CSV column holding the labels.
    public var labelColumn: String
    public var classCount: Int
    /// At most this many training samples (0: all).
    public var trainLimit: Int
    /// At most this many test samples (0: all).
    public var testLimit: Int

    public init(path: String, format: Format, labelColumn: String = "label", classCount: Int = 10, trainLimit: Int = 0, testLimit: Int = 0) {
        self.path = path
        self.format = format
        self.labelColumn = labelColumn
        self.classCount = classCount
        self.trainLimit = trainLimit
        self.testLimit = testLimit
    }

    /// The directories of the data sets known by name.
    public static let builtinDirectories: [String: String] = [
        "fashion-mnist": "/usr/share/datasets/fashion-mnist",
        "mnist": "/usr/share/datasets/mnist",
    ]

    /// The source of a built-in data set by name (`fashion-mnist`, `mnist`: IDX, 10 classes).
    public static func builtin(_ name: String, trainLimit: Int = 0, testLimit: Int = 0) throws(DatasetError) -> DatasetLoader {
        guard let directory = builtinDirectories[name] else {
            throw DatasetError(
                .unknownDataset, path: "",
                "unknown built-in data set \"\(name)\" (known: \(builtinDirectories.keys.sorted().joined(separator: ", ")))")
        }
        return DatasetLoader(path: directory, format: .idx, trainLimit: trainLimit, testLimit: testLimit)
    }

    /// Reads the training and test sets.
    ///
    /// IDX: `path` is a directory with `train-images-idx3-ubyte`,
    /// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and
    /// `t10k-labels-idx1-ubyte`, each optionally ending in `.gz`.
    /// CSV: `path` is a directory with `train.csv` and `test.csv`, or one file
    /// whose last tenth of rows (at least one) is held out as the test set.
    public func load() throws(DatasetError) -> DatasetSplit {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError(.missingFile, path: path, "the data set path does not exist")
        }
        let split: DatasetSplit
        switch format {
        case .idx:
            guard isDirectory.boolValue else {
                throw DatasetError(.missingFile, path: path, "an IDX data set must be a directory holding the four IDX files")
            }
            split = DatasetSplit(
                train: try IDXReader.readDataset(
                    imagesPath: idxFile("train-images-idx3-ubyte"), labelsPath: idxFile("train-labels-idx1-ubyte"),
                    classCount: classCount, limit: trainLimit),
                test: try IDXReader.readDataset(
                    imagesPath: idxFile("t10k-images-idx3-ubyte"), labelsPath: idxFile("t10k-labels-idx1-ubyte"),
                    classCount: classCount, limit: testLimit))
        case .csv:
            if isDirectory.boolValue {
                let train = try CSVReader.read(path: path + "/train.csv", labelColumn: labelColumn, classCount: classCount)
                let test = try CSVReader.read(path: path + "/test.csv", labelColumn: labelColumn, classCount: classCount)
                guard train.featureCount == test.featureCount else {
                    throw DatasetError(
                        .countMismatch, path: path + "/test.csv",
                        "\(test.featureCount) feature columns, train.csv has \(train.featureCount)")
                }
                split = DatasetSplit(train: train.prefix(trainLimit), test: test.prefix(testLimit))
            } else {
                let all = try CSVReader.read(path: path, labelColumn: labelColumn, classCount: classCount)
                guard all.count >= 2 else {
                    throw DatasetError(.empty, path: path, "a single CSV file needs at least 2 rows to hold out a test set")
                }
                let testCount = max(1, all.count / 10)
                let trainCount = all.count - testCount
                let width = all.featureCount
                let train = Dataset(
                    features: Array(all.features[0..<(trainCount * width)]), labels: Array(all.labels[0..<trainCount]),
                    featureCount: width, classCount: classCount)
                let test = Dataset(
                    features: Array(all.features[(trainCount * width)...]), labels: Array(all.labels[trainCount...]),
                    featureCount: width, classCount: classCount)
                split = DatasetSplit(train: train.prefix(trainLimit), test: test.prefix(testLimit))
            }
        }
        return split
    }

    /// The plain file if it exists, else the `.gz` one; the plain name when neither does
    /// (so the error names the file the reader expected).
    private func idxFile(_ name: String) -> String {
        let plain = path + "/" + name
        if FileManager.default.fileExists(atPath: plain) { return plain }
        let compressed = plain + ".gz"
        if FileManager.default.fileExists(atPath: compressed) { return compressed }
        return compressed
    }
}
