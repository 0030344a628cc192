/// Incrementally reads one frame whose header the receiver already knows,
/// from a byte source that may deliver any number of bytes at a time.
///
/// The payload goes straight into `destination`; the reader allocates
/// nothing. A header that differs from the expected one (including a length
/// beyond the destination) is rejected before any payload byte is written, so
/// hostile input can neither overrun the destination nor make the reader
/// allocate.
public struct FrameReader {
    public let expected: FrameHeader
    private let destination: UnsafeMutableRawBufferPointer
    private var header: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var headerFilled = 0
    private var payloadFilled = 0

    /// `destination` must be exactly `expected.length` bytes long.
    public init(expected: FrameHeader, destination: UnsafeMutableRawBufferPointer) {
        precondition(destination.count == Int(expected.length), "destination must hold exactly the expected payload")
        self.expected = expected
        self.destination = destination
    }

    public var isComplete: Bool { headerFilled == FrameHeader.size && payloadFilled == destination.count }

    /// Calls `read` (which fills a prefix of the buffer it is given and returns
    /// how many bytes it wrote, 0 when nothing is available now) until the frame
    /// is complete or no bytes are available. Returns whether the frame is
    /// complete. Throws `protocolViolation` for a header that is not the
    /// expected one, and whatever `read` throws.
    public mutating func read(
        from read: (UnsafeMutableRawBufferPointer) throws(CollectiveError) -> Int
    ) throws(CollectiveError) -> Bool {
        while headerFilled < FrameHeader.size {
            let n = try withUnsafeMutableBytes(of: &header) { (raw) throws(CollectiveError) -> Int in
                let rest = UnsafeMutableRawBufferPointer(rebasing: raw[headerFilled..<FrameHeader.size])
                return try Self.checkedRead(read, into: rest)
            }
            if n == 0 { return false }
            headerFilled += n
            if headerFilled == FrameHeader.size {
                let decoded = try withUnsafeBytes(of: &header) { (raw) throws(CollectiveError) -> FrameHeader in
                    try FrameHeader.decode(raw)
                }
                try FrameHeader.check(decoded, expected: expected)
            }
        }
        while payloadFilled < destination.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: destination[payloadFilled...])
            let n = try Self.checkedRead(read, into: rest)
            if n == 0 { return false }
            payloadFilled += n
        }
        return true
    }

    private static func checkedRead(
        _ read: (UnsafeMutableRawBufferPointer) throws(CollectiveError) -> Int,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(CollectiveError) -> Int {
        let n = try read(buffer)
        guard n >= 0, n <= buffer.count else {
            throw CollectiveError(.ioError, "byte source returned \(n) for a buffer of \(buffer.count) bytes")
        }
        return n
    }
}
