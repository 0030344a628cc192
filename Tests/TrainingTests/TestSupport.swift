import Foundation
import Logging
import Testing
@testable import Training

/// A fresh empty directory under the system temporary directory.
func makeTemporaryDirectory(_ label: String = #function) throws -> String {
    let name = label.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "ringmaster-training-\(name)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// The Fashion-MNIST subset most tests train on, read once.
let fashionSubset: DatasetSplit = {
    // The data set ships with the machine; a failure here is a broken environment.
    try! DatasetLoader.builtin("fashion-mnist", trainLimit: 2_000, testLimit: 500).load()
}()

/// A logger that drops everything (tests assert on results, not log lines).
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// The bytes of an IDX file of unsigned bytes with the given dimensions.
func idxBytes(dimensions: [Int], values: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
    for size in dimensions {
        bytes += [UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)]
    }
    return bytes + values
}

func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Compresses with the system `gzip` tool, an independent implementation of the format.
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let directory = try makeTemporaryDirectory("gzip")
    defer { removeDirectory(directory) }
    let path = directory + "/data"
    try write(bytes, to: path)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
    process.arguments = ["-n", path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return [UInt8](FileManager.default.contents(atPath: path + ".gz") ?? Data())
}

/// The largest element-wise difference of two equally long buffers.
func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
