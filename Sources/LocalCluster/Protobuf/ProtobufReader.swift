/// The protobuf wire types (the low three bits of a field's tag).
enum ProtobufWireType: Int, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}

/// Reads protobuf wire-format fields from a byte range, front to back.
///
/// Knows nothing of schemas: `nextTag` gives each field's number and wire
/// type, and the caller reads (or skips) the value that follows.
struct ProtobufReader {
    private let bytes: [UInt8]
    private var index: Int
    private let end: Int

    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        self.index = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    var isAtEnd: Bool { index >= end }

    /// The next field's number and wire type, or nil at the end of the range.
    mutating func nextTag() throws -> (number: Int, wireType: Int)? {
        guard index < end else { return nil }
        let key = try readVarint()
        let number = Int(truncatingIfNeeded: key >> 3)
        guard number > 0 else { throw ProtobufError("field number 0 is not valid") }
        return (number, Int(key & 7))
    }

    mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end else { throw ProtobufError.truncated }
            let byte = bytes[index]
            index += 1
            guard shift < 64 else { throw ProtobufError("a varint is longer than 10 bytes") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func readFixed64() throws -> UInt64 {
        guard end - index >= 8 else { throw ProtobufError.truncated }
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(bytes[index + offset]) << (8 * UInt64(offset)) }
        index += 8
        return value
    }

    mutating func readFixed32() throws -> UInt32 {
        guard end - index >= 4 else { throw ProtobufError.truncated }
        var value: UInt32 = 0
        for offset in 0..<4 { value |= UInt32(bytes[index + offset]) << (8 * UInt32(offset)) }
        index += 4
        return value
    }

    /// The range of a length-delimited value's bytes (within `bytes`), skipped past.
    mutating func readLengthDelimited() throws -> Range<Int> {
        let length = try readVarint()
        guard length <= UInt64(end - index) else { throw ProtobufError.truncated }
        let range = index..<(index + Int(length))
        index = range.upperBound
        return range
    }

    /// A reader over a length-delimited value's bytes.
    func reader(for range: Range<Int>) -> ProtobufReader { ProtobufReader(bytes, range: range) }

    func slice(_ range: Range<Int>) -> ArraySlice<UInt8> { bytes[range] }

    mutating func skip(wireType: Int) throws {
        switch ProtobufWireType(rawValue: wireType) {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        case nil: throw ProtobufError("wire type \(wireType) is not supported")
        }
    }
}
