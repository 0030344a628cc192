import Foundation

/// Reads a comma-separated file with a header row into a data set.
///
/// The column named `labelColumn` holds integer class labels in
/// `0..<classCount`; every other column is a feature, used as written (no
/// scaling or normalisation is applied, so scale the values in the file).
/// Blank lines are ignored; quoting is not supported (values are numbers).
public enum CSVReader {
    public static func read(path: String, labelColumn: String, classCount: Int) throws(DatasetError) -> Dataset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw DatasetError(.missingFile, path: path, "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError(.unreadableFile, path: path, "the file cannot be read")
        }
        var bytes = [UInt8](data)
        if Gzip.isCompressed(bytes) { bytes = try Gzip.decompress(bytes, path: path) }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path, labelColumn: labelColumn, classCount: classCount)
    }

    /// Parses CSV text; `path` only names the file in errors.
    public static func parse(_ text: String, path: String, labelColumn: String, classCount: Int) throws(DatasetError) -> Dataset {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { (number: $0.offset + 1, text: $0.element) }
        lines = lines.filter { !$0.text.allSatisfy { $0 == " " || $0 == "\r" || $0 == "\t" } }
        guard let header = lines.first else {
            throw DatasetError(.empty, path: path, "the file is empty (a header row is required)")
        }
        let columns = header.text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let labelIndex = columns.firstIndex(of: labelColumn) else {
            throw DatasetError(
                .labelColumnMissing, path: path,
                "the header has no column named \"\(labelColumn)\" (columns: \(columns.joined(separator: ", ")))")
        }
        let featureCount = columns.count - 1
        guard featureCount > 0 else {
            throw DatasetError(.empty, path: path, "the file has no feature columns besides \"\(labelColumn)\"")
        }
        let rows = lines.dropFirst()
        guard !rows.isEmpty else { throw DatasetError(.empty, path: path, "the file has a header but no rows") }
        var features: [Float] = []
        features.reserveCapacity(rows.count * featureCount)
        var labels: [Int32] = []
        labels.reserveCapacity(rows.count)
        for row in rows {
            let fields = row.text.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == columns.count else {
                throw DatasetError(.raggedRow, path: path, "line \(row.number) has \(fields.count) fields, the header has \(columns.count)")
            }
            for (index, field) in fields.enumerated() {
                let trimmed = field.trimmingCharacters(in: .whitespacesAndNewlines)
                if index == labelIndex {
                    guard let label = Int(trimmed) else {
                        throw DatasetError(.invalidNumber, path: path, "line \(row.number): label \"\(trimmed)\" is not an integer")
                    }
                    guard label >= 0 && label < classCount else {
                        throw DatasetError(.labelOutOfRange, path: path, "line \(row.number): label \(label) is outside 0..<\(classCount)")
                    }
                    labels.append(Int32(label))
                } else {
                    guard let value = Float(trimmed), value.isFinite else {
                        throw DatasetError(
                            .invalidNumber, path: path,
                            "line \(row.number), column \"\(columns[index])\": \"\(trimmed)\" is not a finite number")
                    }
                    features.append(value)
                }
            }
        }
        return Dataset(features: features, labels: labels, featureCount: featureCount, classCount: classCount)
    }
}
