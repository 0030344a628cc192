import Foundation

/// Reads the IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
///
/// An IDX file is a 4-byte magic number (two zero bytes, a type code, the
/// number of dimensions), one big-endian 32-bit size per dimension, then the
/// values. Only unsigned bytes (type code 0x08) are supported, which is what
/// these data sets use.
public enum IDXReader {
    /// The decoded contents of one IDX file.
    public struct Tensor: Sendable, Equatable {
        public var dimensions: [Int]
        public var values: [UInt8]
    }

    /// Reads a file's bytes, inflating them when they are gzip-compressed.
    static func readBytes(path: String) throws(DatasetError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw DatasetError(.missingFile, path: path, "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError(.unreadableFile, path: path, "the file cannot be read")
        }
        let bytes = [UInt8](data)
        return Gzip.isCompressed(bytes) ? try Gzip.decompress(bytes, path: path) : bytes
    }

    /// Reads an IDX file with exactly `dimensionCount` dimensions.
    public static func read(path: String, dimensionCount: Int) throws(DatasetError) -> Tensor {
        try parse(readBytes(path: path), path: path, dimensionCount: dimensionCount)
    }

    /// Parses IDX bytes; `path` only names the file in errors.
    public static func parse(_ bytes: [UInt8], path: String, dimensionCount: Int) throws(DatasetError) -> Tensor {
        guard bytes.count >= 4 else {
            throw DatasetError(.truncated, path: path, "the file has \(bytes.count) bytes, fewer than the 4-byte magic number")
        }
        let magic = bytes[0..<4].map { String(format: "%02x", $0) }.joined()
        guard bytes[0] == 0, bytes[1] == 0, Int(bytes[3]) == dimensionCount else {
            throw DatasetError(
                .wrongMagic, path: path,
                "magic number 0x\(magic) is not an IDX file with \(dimensionCount) dimension(s) (expected 0x0000080\(dimensionCount))")
        }
        guard bytes[2] == 0x08 else {
            throw DatasetError(.unsupportedType, path: path, "IDX type code 0x\(String(format: "%02x", bytes[2])) is not supported (only unsigned bytes, 0x08)")
        }
        let headerSize = 4 + 4 * dimensionCount
        guard bytes.count >= headerSize else {
            throw DatasetError(.truncated, path: path, "the header needs \(headerSize) bytes, the file has \(bytes.count)")
        }
        var dimensions: [Int] = []
        for index in 0..<dimensionCount {
            let offset = 4 + 4 * index
            let size = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            dimensions.append(size)
        }
        let expected = dimensions.reduce(1, *)
        let available = bytes.count - headerSize
        guard available >= expected else {
            throw DatasetError(
                .truncated, path: path,
                "dimensions \(dimensions.map(String.init).joined(separator: "x")) need \(expected) bytes of data, the file has \(available)")
        }
        guard available == expected else {
            throw DatasetError(.countMismatch, path: path, "\(available - expected) unexpected bytes after the data")
        }
        return Tensor(dimensions: dimensions, values: Array(bytes[headerSize...]))
    }

    /// Reads an image file and its label file into a data set, pixels scaled
    /// to [0, 1]. Labels must be in `0..<classCount`.
    public static func readDataset(imagesPath: String, labelsPath: String, classCount: Int, limit: Int = 0) throws(DatasetError) -> Dataset {
        let images = try read(path: imagesPath, dimensionCount: 3)
        let labels = try read(path: labelsPath, dimensionCount: 1)
        let count = images.dimensions[0]
        guard labels.dimensions[0] == count else {
            throw DatasetError(.countMismatch, path: labelsPath, "\(labels.dimensions[0]) labels for \(count) images in \(imagesPath)")
        }
        guard count > 0 else { throw DatasetError(.empty, path: imagesPath, "the file holds no images") }
        let featureCount = images.dimensions[1] * images.dimensions[2]
        guard featureCount > 0 else { throw DatasetError(.empty, path: imagesPath, "images have no pixels") }
        let kept = limit > 0 ? min(limit, count) : count
        var labelValues = [Int32](repeating: 0, count: kept)
        for index in 0..<kept {
            let label = Int(labels.values[index])
            guard label < classCount else {
                throw DatasetError(.labelOutOfRange, path: labelsPath, "label \(label) of sample \(index) is outside 0..<\(classCount)")
            }
            labelValues[index] = Int32(label)
        }
        // Divided (not multiplied by 1/255) so that every pixel is the correctly rounded value, as torchvision's ToTensor gives.
        let features = images.values[0..<(kept * featureCount)].map { Float($0) / 255 }
        return Dataset(features: features, labels: labelValues, featureCount: featureCount, classCount: classCount)
    }
}
