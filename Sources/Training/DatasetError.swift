/// Why a data set could not be read. Every case is bad input: retrying with
/// the same files cannot help.
public struct DatasetError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case missingFile
        case unreadableFile
        case invalidGzip
        case wrongMagic
        case unsupportedType
        case truncated
        case countMismatch
        case labelOutOfRange
        case labelColumnMissing
        case raggedRow
        case invalidNumber
        case empty
        case unknownDataset
        case unknownFormat
    }

    public var code: Code
    /// The file the problem is in, when there is one.
    public var path: String
    public var message: String

    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "\(code.rawValue): \(message)" : "\(code.rawValue): \(path): \(message)"
    }
}
