import Testing
@testable import Collective
import Training

@Suite("Frame decoding")
struct FrameDecodingTests {
    static let expected = FrameHeader(collective: .allReduce, index: 3, length: 64, sequence: 9, elementCount: 1000)

    /// Feeds `stream` to a reader for `expected` whose 64-byte destination
    /// sits between guard bytes, `step` bytes per read. Returns the outcome and
    /// whether the guard bytes are intact.
    static func decode(_ stream: [UInt8], step: Int, expected: FrameHeader = expected) -> (Result<Bool, CollectiveError>, guardsIntact: Bool) {
        let guardBytes = 32
        var memory = [UInt8](repeating: 0xA5, count: Int(expected.length) + 2 * guardBytes)
        let outcome: Result<Bool, CollectiveError> = memory.withUnsafeMutableBytes { raw in
            let destination = UnsafeMutableRawBufferPointer(rebasing: raw[guardBytes..<(guardBytes + Int(expected.length))])
            var reader = FrameReader(expected: expected, destination: destination)
            var offset = 0
            return Result { () throws(CollectiveError) -> Bool in
                try reader.read { (buffer) throws(CollectiveError) -> Int in
                    guard offset < stream.count else { return 0 }
                    let n = min(step, buffer.count, stream.count - offset)
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: stream.withUnsafeBytes { $0 }[offset..<(offset + n)]))
                    offset += n
                    return n
                }
            }
        }
        let intact = memory[..<guardBytes].allSatisfy { $0 == 0xA5 } && memory[(guardBytes + Int(expected.length))...].allSatisfy { $0 == 0xA5 }
        return (outcome, intact)
    }

    static func frame(_ header: FrameHeader, payload: [UInt8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: FrameHeader.size)
        bytes.withUnsafeMutableBytes { header.encode(into: $0) }
        return bytes + payload
    }

    @Test("a well-formed frame arrives whole, whatever the read sizes", arguments: [1, 5, 32, 1000])
    func wellFormed(step: Int) {
        let payload = (0..<64).map { UInt8($0) }
        let (outcome, intact) = Self.decode(Self.frame(Self.expected, payload: payload), step: step)
        #expect(outcome == .success(true))
        #expect(intact)
    }

    @Test("a truncated frame is incomplete, never complete or overrun", arguments: [0, 1, 31, 32, 33, 95])
    func truncated(length: Int) {
        let stream = Array(Self.frame(Self.expected, payload: [UInt8](repeating: 7, count: 64)).prefix(length))
        let (outcome, intact) = Self.decode(stream, step: 7)
        #expect(outcome == .success(false))
        #expect(intact)
    }

    @Test("headers that differ from the expected one are protocol violations")
    func mismatchedHeaders() {
        var variants: [FrameHeader] = []
        var h = Self.expected
        h.length = 65; variants.append(h)
        h = Self.expected; h.length = UInt32.max; variants.append(h)
        h = Self.expected; h.length = 0; variants.append(h)
        h = Self.expected; h.sequence = 8; variants.append(h)
        h = Self.expected; h.index = 4; variants.append(h)
        h = Self.expected; h.elementCount = 999; variants.append(h)
        h = Self.expected; h.collective = .broadcast; variants.append(h)
        for variant in variants {
            let (outcome, intact) = Self.decode(Self.frame(variant, payload: [UInt8](repeating: 1, count: 200)), step: 13)
            guard case .failure(let error) = outcome else {
                Issue.record("accepted \(variant)")
                continue
            }
            #expect(error.code == .protocolViolation)
            #expect(intact)
        }
    }

    @Test("bad magic, unknown collective and reserved bits are rejected")
    func badHeaderBytes() {
        let good = Self.frame(Self.expected, payload: [UInt8](repeating: 1, count: 64))
        for (offset, value) in [(0, UInt8(0x00)), (3, 0xFF), (4, 0), (4, 99), (5, 1)] {
            var bytes = good
            bytes[offset] = value
            let (outcome, intact) = Self.decode(bytes, step: 64)
            guard case .failure(let error) = outcome else {
                Issue.record("accepted a header with byte \(offset) = \(value)")
                continue
            }
            #expect(error.code == .protocolViolation)
            #expect(intact)
        }
    }

    @Test("random bytes never crash the decoder or write outside the destination")
    func randomBytes() {
        var generator = SplitMix64(seed: 2024)
        var accepted = 0
        for round in 0..<3000 {
            let length = Int.random(in: 0...200, using: &generator)
            var stream = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 3 == 0 && stream.count >= 4 {
                // Valid magic, so the rest of the header is exercised too.
                stream.replaceSubrange(0..<4, with: [0x52, 0x4D, 0x46, 0x31])
            }
            let (outcome, intact) = Self.decode(stream, step: Int.random(in: 1...64, using: &generator))
            #expect(intact)
            if case .success(true) = outcome { accepted += 1 }
        }
        #expect(accepted == 0, "random bytes formed the exact expected header")
    }

    @Test("header encoding round-trips and is little-endian")
    func roundTrip() throws {
        let bytes = Self.frame(Self.expected, payload: [])
        #expect(Array(bytes[0..<4]) == [0x52, 0x4D, 0x46, 0x31])
        #expect(Array(bytes[12..<16]) == [64, 0, 0, 0])
        let decoded = try bytes.withUnsafeBytes { raw throws(CollectiveError) in try FrameHeader.decode(raw) }
        #expect(decoded == Self.expected)
    }
}
