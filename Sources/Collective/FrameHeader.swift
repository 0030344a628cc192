/// The fixed 32-byte header in front of every payload on a ring link.
///
/// Layout (little-endian): magic `u32`, collective `u8`, reserved `u8`,
/// aux `u16` (the root of a broadcast), index `u32` (the frame's position in
/// the collective), payload length in bytes `u32`, sequence `u64` (the
/// collective's number since the communicator was created), element count of
/// the whole buffer `u64`. The receiver always knows which header it expects,
/// so any difference is a protocol violation and is reported as such before a
/// single payload byte is read.
public struct FrameHeader: Sendable, Hashable {
    /// "RMF1" read as a little-endian `u32`.
    public static let magic: UInt32 = 0x3146_4D52
    public static let size = 32

    /// Which collective a frame belongs to.
    public enum Collective: UInt8, Sendable {
        case allReduce = 1
        case broadcast = 2
        case barrier = 3
        case allGather = 4
    }

    public var collective: Collective
    public var aux: UInt16
    public var index: UInt32
    public var length: UInt32
    public var sequence: UInt64
    public var elementCount: UInt64

    public init(collective: Collective, aux: UInt16 = 0, index: UInt32, length: UInt32, sequence: UInt64, elementCount: UInt64) {
        self.collective = collective
        self.aux = aux
        self.index = index
        self.length = length
        self.sequence = sequence
        self.elementCount = elementCount
    }

    /// Writes the header into the first `FrameHeader.size` bytes of `bytes`.
    public func encode(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.size, "header buffer too small")
        bytes.storeBytes(of: Self.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        bytes.storeBytes(of: collective.rawValue, toByteOffset: 4, as: UInt8.self)
        bytes.storeBytes(of: 0, toByteOffset: 5, as: UInt8.self)
        bytes.storeBytes(of: aux.littleEndian, toByteOffset: 6, as: UInt16.self)
        bytes.storeBytes(of: index.littleEndian, toByteOffset: 8, as: UInt32.self)
        bytes.storeBytes(of: length.littleEndian, toByteOffset: 12, as: UInt32.self)
        bytes.storeBytes(of: sequence.littleEndian, toByteOffset: 16, as: UInt64.self)
        bytes.storeBytes(of: elementCount.littleEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// Parses a header; throws `protocolViolation` for a bad magic, an unknown
    /// collective or a non-zero reserved byte. Never reads past `size` bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(CollectiveError) -> FrameHeader {
        guard bytes.count >= size else {
            throw CollectiveError(.protocolViolation, "truncated frame header: \(bytes.count) of \(size) bytes")
        }
        let magic = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        guard magic == Self.magic else {
            throw CollectiveError(.protocolViolation, "bad frame magic 0x\(String(magic, radix: 16))")
        }
        let raw = bytes.loadUnaligned(fromByteOffset: 4, as: UInt8.self)
        guard let collective = Collective(rawValue: raw) else {
            throw CollectiveError(.protocolViolation, "unknown collective \(raw) in frame header")
        }
        guard bytes.loadUnaligned(fromByteOffset: 5, as: UInt8.self) == 0 else {
            throw CollectiveError(.protocolViolation, "non-zero reserved byte in frame header")
        }
        return FrameHeader(
            collective: collective,
            aux: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self)),
            index: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
            length: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
            sequence: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            elementCount: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        )
    }

    /// Throws `protocolViolation` naming the first field in which `received`
    /// differs from the header this rank expects.
    public static func check(_ received: FrameHeader, expected: FrameHeader) throws(CollectiveError) {
        func fail(_ what: String, _ got: some BinaryInteger, _ want: some BinaryInteger) -> CollectiveError {
            CollectiveError(.protocolViolation, "frame \(what) is \(got), expected \(want) (ranks called different collectives or buffers of different lengths)")
        }
        if received.collective != expected.collective {
            throw CollectiveError(.protocolViolation, "peer is in \(received.collective), this rank is in \(expected.collective)")
        }
        if received.sequence != expected.sequence { throw fail("sequence", received.sequence, expected.sequence) }
        if received.elementCount != expected.elementCount { throw fail("element count", received.elementCount, expected.elementCount) }
        if received.aux != expected.aux { throw fail("root", received.aux, expected.aux) }
        if received.index != expected.index { throw fail("index", received.index, expected.index) }
        if received.length != expected.length { throw fail("payload length", received.length, expected.length) }
    }
}
