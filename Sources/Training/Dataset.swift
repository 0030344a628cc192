/// Labelled samples held in memory: `features` is row-major, `count` rows of
/// `featureCount` values; `labels[i]` is in `0..<classCount`.
public struct Dataset: Sendable, Equatable {
    public var features: [Float]
    public var labels: [Int32]
    public var featureCount: Int
    public var classCount: Int

    /// The number of samples.
    public var count: Int { labels.count }

    /// Builds a data set, checking that the shapes agree.
    public init(features: [Float], labels: [Int32], featureCount: Int, classCount: Int) {
        precondition(featureCount > 0 && features.count == labels.count * featureCount,
                     "features must hold labels.count rows of featureCount values")
        self.features = features
        self.labels = labels
        self.featureCount = featureCount
        self.classCount = classCount
    }

    /// The first `limit` samples (all of them when `limit` is 0 or larger than `count`).
    public func prefix(_ limit: Int) -> Dataset {
        guard limit > 0, limit < count else { return self }
        return Dataset(
            features: Array(features[0..<(limit * featureCount)]),
            labels: Array(labels[0..<limit]),
            featureCount: featureCount,
            classCount: classCount)
    }

    /// Copies the samples at `indices`, in that order, into `features` and
    /// `labels` (which are resized to fit).
    public func gather(_ indices: ArraySlice<Int>, features batchFeatures: inout [Float], labels batchLabels: inout [Int32]) {
        let width = featureCount
        if batchFeatures.count != indices.count * width {
            batchFeatures = [Float](repeating: 0, count: indices.count * width)
        }
        batchLabels.removeAll(keepingCapacity: true)
        features.withUnsafeBufferPointer { source in
            batchFeatures.withUnsafeMutableBufferPointer { destination in
                for (row, index) in indices.enumerated() {
                    let from = source.baseAddress! + index * width
                    (destination.baseAddress! + row * width).update(from: from, count: width)
                }
            }
        }
        for index in indices { batchLabels.append(labels[index]) }
    }
}

/// A training set and a test set with the same feature and class counts.
public struct DatasetSplit: Sendable, Equatable {
    public var train: Dataset
    public var test: Dataset

    public init(train: Dataset, test: Dataset) {
        self.train = train
        self.test = test
    }
}
