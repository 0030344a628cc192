import CZlib

/// gzip (and zlib) decompression through the system zlib.
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number (1f 8b).
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Inflates a gzip stream, including streams of several concatenated
    /// members. Throws `DatasetError` with code `invalidGzip` for corrupt or
    /// truncated input; `path` only names the file in that error.
    public static func decompress(_ input: [UInt8], path: String = "") throws(DatasetError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 4)
        var stream = z_stream()
        // 15 window bits + 32: detect a gzip or zlib header automatically.
        var status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw DatasetError(.invalidGzip, path: path, "zlib could not start inflating (status \(status))")
        }
        defer { inflateEnd(&stream) }
        let chunkSize = 1 << 18
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var failure: String?
        input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while true {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(chunkSize)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return chunkSize - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_STREAM_END {
                    // Another gzip member may follow the first.
                    if stream.avail_in > 0 {
                        if inflateReset(&stream) != Z_OK { failure = "could not reset for the next member"; return }
                        continue
                    }
                    return
                }
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    failure = "the gzip stream ends early (truncated file)"
                    return
                }
                if status != Z_OK {
                    failure = "corrupt gzip data (zlib status \(status))"
                    return
                }
                if stream.avail_in == 0 && produced == 0 {
                    failure = "the gzip stream ends early (truncated file)"
                    return
                }
            }
        }
        if let failure { throw DatasetError(.invalidGzip, path: path, failure) }
        return output
    }
}
