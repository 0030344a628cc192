import Foundation
import Testing
@testable import Training

@Suite struct DatasetTests {
    /// Writes a 3-sample, 2x2-pixel IDX data set into `directory`.
    private func writeIDXDataset(in directory: String, compressed: Bool, labels: [UInt8] = [0, 9, 4]) throws {
        let images = idxBytes(dimensions: [3, 2, 2], values: [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0])
        let labelFile = idxBytes(dimensions: [labels.count], values: labels)
        let suffix = compressed ? ".gz" : ""
        for prefix in ["train", "t10k"] {
            try write(compressed ? gzipped(images) : images, to: "\(directory)/\(prefix)-images-idx3-ubyte\(suffix)")
            try write(compressed ? gzipped(labelFile) : labelFile, to: "\(directory)/\(prefix)-labels-idx1-ubyte\(suffix)")
        }
    }

    @Test(arguments: [false, true])
    func readsIDX(compressed: Bool) throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        try writeIDXDataset(in: directory, compressed: compressed)
        let split = try DatasetLoader(path: directory, format: .idx).load()
        #expect(split.train.count == 3)
        #expect(split.train.featureCount == 4)
        #expect(split.train.labels == [0, 9, 4])
        #expect(split.train.features[0..<4] == [0, 1, 0.2, 0.4])
        #expect(split.test == split.train)
        let limited = try DatasetLoader(path: directory, format: .idx, trainLimit: 2, testLimit: 1).load()
        #expect(limited.train.count == 2 && limited.test.count == 1)
        #expect(limited.train.labels == [0, 9])
    }

    @Test func readsFashionMNIST() throws {
        let split = fashionSubset
        #expect(split.train.count == 2_000 && split.test.count == 500)
        #expect(split.train.featureCount == 784 && split.train.classCount == 10)
        #expect(split.train.features.allSatisfy { $0 >= 0 && $0 <= 1 })
        // All ten classes occur in the first 2,000 samples.
        #expect(Set(split.train.labels).count == 10)
    }

    @Test func missingDirectoryAndFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let missing = directory + "/nowhere"
        #expect(throws: DatasetError(.missingFile, path: missing, "the data set path does not exist")) {
            try DatasetLoader(path: missing, format: .idx).load()
        }
        let error = #expect(throws: DatasetError.self) { try DatasetLoader(path: directory, format: .idx).load() }
        #expect(error?.code == .missingFile)
        #expect(error?.path == directory + "/train-images-idx3-ubyte.gz")
    }

    @Test func wrongMagic() throws {
        var bytes = idxBytes(dimensions: [1, 1, 1], values: [0])
        bytes[2] = 0x08
        bytes[3] = 1  // claims one dimension
        let error = #expect(throws: DatasetError.self) { try IDXReader.parse(bytes, path: "x", dimensionCount: 3) }
        #expect(error?.code == .wrongMagic)
        let text = Array("P5\n28 28\n".utf8)
        #expect((#expect(throws: DatasetError.self) { try IDXReader.parse(text, path: "x", dimensionCount: 3) })?.code == .wrongMagic)
    }

    @Test func truncatedFiles() throws {
        let whole = idxBytes(dimensions: [2, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        for length in [2, 10, whole.count - 1] {
            let error = #expect(throws: DatasetError.self) {
                try IDXReader.parse(Array(whole[0..<length]), path: "x", dimensionCount: 3)
            }
            #expect(error?.code == .truncated, "length \(length)")
        }
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let compressed = try gzipped(whole)
        try write(Array(compressed[0..<(compressed.count / 2)]), to: directory + "/cut.gz")
        let error = #expect(throws: DatasetError.self) { try IDXReader.read(path: directory + "/cut.gz", dimensionCount: 3) }
        #expect(error?.code == .invalidGzip)
    }

    @Test func labelOutOfRange() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        try writeIDXDataset(in: directory, compressed: false, labels: [0, 10, 1])
        let error = #expect(throws: DatasetError.self) { try DatasetLoader(path: directory, format: .idx).load() }
        #expect(error?.code == .labelOutOfRange)
        #expect(error?.message.contains("label 10") == true)
    }

    @Test func imageAndLabelCountsMustAgree() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        try writeIDXDataset(in: directory, compressed: false, labels: [0, 1])
        let error = #expect(throws: DatasetError.self) { try DatasetLoader(path: directory, format: .idx).load() }
        #expect(error?.code == .countMismatch)
    }

    @Test func readsCSV() throws {
        let text = "f1, label ,f2\n0.5,2,1.5\n\n-1,0,3e2\n"
        let dataset = try CSVReader.parse(text, path: "x.csv", labelColumn: "label", classCount: 3)
        #expect(dataset.featureCount == 2)
        #expect(dataset.labels == [2, 0])
        #expect(dataset.features == [0.5, 1.5, -1, 300])
    }

    @Test func csvFileHoldsOutTheLastTenth() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let rows = (0..<20).map { "\($0),\($0 % 3)" }.joined(separator: "\n")
        try write(Array("x,y\n\(rows)\n".utf8), to: directory + "/data.csv")
        let split = try DatasetLoader(path: directory + "/data.csv", format: .csv, labelColumn: "y", classCount: 3).load()
        #expect(split.train.count == 18 && split.test.count == 2)
        #expect(split.test.features == [18, 19])
    }

    @Test func csvErrors() throws {
        let missingColumn = #expect(throws: DatasetError.self) {
            try CSVReader.parse("a,b\n1,2\n", path: "x.csv", labelColumn: "label", classCount: 10)
        }
        #expect(missingColumn?.code == .labelColumnMissing)
        #expect(missingColumn?.message.contains("\"label\"") == true)
        let ragged = #expect(throws: DatasetError.self) {
            try CSVReader.parse("a,label\n1,2\n3\n", path: "x.csv", labelColumn: "label", classCount: 10)
        }
        #expect(ragged?.code == .raggedRow)
        #expect(ragged?.message.contains("line 3") == true)
        let outOfRange = #expect(throws: DatasetError.self) {
            try CSVReader.parse("a,label\n1,12\n", path: "x.csv", labelColumn: "label", classCount: 10)
        }
        #expect(outOfRange?.code == .labelOutOfRange)
        let notANumber = #expect(throws: DatasetError.self) {
            try CSVReader.parse("a,label\nabc,1\n", path: "x.csv", labelColumn: "label", classCount: 10)
        }
        #expect(notANumber?.code == .invalidNumber)
        let missingFile = #expect(throws: DatasetError.self) {
            try CSVReader.read(path: "/nonexistent/data.csv", labelColumn: "label", classCount: 10)
        }
        #expect(missingFile?.code == .missingFile)
    }

    @Test func unknownBuiltin() {
        let error = #expect(throws: DatasetError.self) { try DatasetLoader.builtin("imagenet") }
        #expect(error?.code == .unknownDataset)
    }
}
