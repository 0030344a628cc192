import Foundation

/// A resumable snapshot of training: the parameters, the optimizer state and
/// the position in the data (the next step to run), in a self-checking file
/// format.
///
/// Layout (integers little-endian):
/// `"RMCKPT\0\0"` magic (8 bytes), format version (UInt32), header length
/// `H` (UInt32), `H` bytes of JSON (`Header`), the parameters and then the
/// optimizer state as Float32, and a CRC-32 of every preceding byte (UInt32).
public struct TrainingCheckpoint: Sendable, Equatable {
    public static let magic: [UInt8] = Array("RMCKPT".utf8) + [0, 0]
    public static let formatVersion: UInt32 = 1

    /// Everything but the float buffers.
    public struct Header: Sendable, Equatable, Codable {
        /// The epoch to continue in (0-based).
        public var epoch: Int
        /// Steps of `epoch` already done; a resumed run skips that many batches.
        public var stepInEpoch: Int
        /// Optimizer steps done since the start of training.
        public var globalStep: Int
        public var architecture: MLPArchitecture
        public var optimizer: OptimizerKind
        public var optimizerStepCount: Int
        public var globalBatchSize: Int
        /// The training seed: with the epoch it determines every shuffle.
        public var seed: UInt64
        /// The state of the run's random stream at the time of the snapshot
        /// (the shuffle of each epoch is derived from `seed` and the epoch, so
        /// this is what restarts the data order exactly).
        public var rngState: UInt64
        public var parameterCount: Int
        public var optimizerStateCount: Int
        /// Seconds since 1970 when the snapshot was taken.
        public var createdAt: Double
    }

    public var header: Header
    public var parameters: [Float]
    public var optimizerState: [Float]

    public init(header: Header, parameters: [Float], optimizerState: [Float]) {
        self.header = header
        self.parameters = parameters
        self.optimizerState = optimizerState
    }

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        var bytes = Self.magic
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a struct of plain values cannot fail.
        let json = [UInt8](try! encoder.encode(header))
        bytes.reserveCapacity(20 + json.count + 4 * (parameters.count + optimizerState.count))
        append(Self.formatVersion, to: &bytes)
        append(UInt32(json.count), to: &bytes)
        bytes += json
        for value in parameters { append(value.bitPattern, to: &bytes) }
        for value in optimizerState { append(value.bitPattern, to: &bytes) }
        append(CRC32.checksum(bytes), to: &bytes)
        return bytes
    }

    /// Decodes and verifies a checkpoint file's bytes; `path` only names the
    /// file in errors. Throws for any truncation, corruption or mismatch.
    public static func decode(_ bytes: [UInt8], path: String) throws(CheckpointError) -> TrainingCheckpoint {
        guard bytes.count >= 20 + 4 else {
            throw CheckpointError(.truncated, path: path, "\(bytes.count) bytes is shorter than the fixed header and checksum")
        }
        guard Array(bytes[0..<8]) == magic else {
            throw CheckpointError(.wrongMagic, path: path, "not a Ringmaster checkpoint")
        }
        let version = readUInt32(bytes, at: 8)
        guard version == formatVersion else {
            throw CheckpointError(.unsupportedVersion, path: path, "format version \(version), this build reads \(formatVersion)")
        }
        let stored = readUInt32(bytes, at: bytes.count - 4)
        let computed = bytes.withUnsafeBytes { raw in
            var crc = CRC32()
            crc.update(UnsafeRawBufferPointer(rebasing: raw[0..<(bytes.count - 4)]))
            return crc.value
        }
        guard stored == computed else {
            throw CheckpointError(
                .checksumMismatch, path: path,
                "CRC-32 \(String(computed, radix: 16)) does not match the stored \(String(stored, radix: 16)) (corrupt or truncated)")
        }
        let headerLength = Int(readUInt32(bytes, at: 12))
        guard 16 + headerLength <= bytes.count - 4 else {
            throw CheckpointError(.truncated, path: path, "header length \(headerLength) runs past the end of the file")
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + headerLength)]))
        } catch {
            throw CheckpointError(.invalidHeader, path: path, "the header is not valid: \(error)")
        }
        let floats = header.parameterCount + header.optimizerStateCount
        guard header.parameterCount >= 0, header.optimizerStateCount >= 0,
              16 + headerLength + 4 * floats == bytes.count - 4 else {
            throw CheckpointError(
                .truncated, path: path,
                "the header announces \(floats) floats, the file holds \((bytes.count - 4 - 16 - headerLength) / 4)")
        }
        var values = [Float](repeating: 0, count: floats)
        let start = 16 + headerLength
        for index in 0..<floats {
            values[index] = Float(bitPattern: readUInt32(bytes, at: start + 4 * index))
        }
        return TrainingCheckpoint(
            header: header,
            parameters: Array(values[0..<header.parameterCount]),
            optimizerState: Array(values[header.parameterCount...]))
    }

    private func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}

/// Why a checkpoint could not be written or read.
public struct CheckpointError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case truncated
        case wrongMagic
        case unsupportedVersion
        case checksumMismatch
        case invalidHeader
        case incompatible
        case io
    }

    public var code: Code
    public var path: String
    public var message: String

    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { "checkpoint \(code.rawValue): \(path): \(message)" }
}
