/// Appends protobuf wire-format fields to a byte buffer.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func writeTag(_ number: Int, _ wireType: ProtobufWireType) {
        writeVarint(UInt64(number) << 3 | UInt64(wireType.rawValue))
    }

    mutating func writeVarintField(_ number: Int, _ value: UInt64) {
        writeTag(number, .varint)
        writeVarint(value)
    }

    mutating func writeBytesField<Bytes: Collection<UInt8>>(_ number: Int, _ value: Bytes) {
        writeTag(number, .lengthDelimited)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func writeStringField(_ number: Int, _ value: String) {
        writeBytesField(number, Array(value.utf8))
    }

    mutating func writeFixed64Field(_ number: Int, _ value: UInt64) {
        writeTag(number, .fixed64)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func writeFixed32Field(_ number: Int, _ value: UInt32) {
        writeTag(number, .fixed32)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}
