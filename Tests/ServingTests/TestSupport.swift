import Foundation
import Logging
import Serving
import Training

/// A fresh empty directory under the system temporary directory.
func makeTemporaryDirectory(_ label: String = #function) throws -> String {
    let name = label.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "ringmaster-serving-\(name)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// A logger that drops everything (tests assert on results, not log lines).
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// A small MLP with Fashion-MNIST's shape, freshly initialised from a seed.
func fashionShapedModel(hidden: [Int] = [32, 16], seed: UInt64 = 7) -> MLP {
    MLP(architecture: MLPArchitecture(inputCount: 784, hiddenWidths: hidden, classCount: 10), seed: seed)
}

/// The bytes `ringmaster-worker` writes for a model.
func modelFileBytes(_ model: MLP, metadata: [String: String]? = nil) -> [UInt8] {
    SafetensorsFile.encode(SafetensorsFile.tensors(of: model), metadata: metadata ?? model.fileMetadata)
}

/// The trainer's own logits for `rows` samples.
func trainerLogits(_ model: MLP, features: [Float], rows: Int) -> [Float] {
    let workspace = MLPWorkspace()
    features.withUnsafeBufferPointer { model.forward(features: $0, count: rows, workspace: workspace) }
    return workspace.activations[model.architecture.layers.count]
}

/// Whether logits of a forward pass over more rows (which OpenBLAS may round
/// differently: it blocks sgemm by shape) match `alone`'s within float rounding.
func sameWithinRounding(_ logits: [Float], _ alone: [Float]) -> Bool {
    logits.count == alone.count && zip(logits, alone).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }
}

/// Deterministic pixels (0...255) for `rows` images of 784 pixels.
func samplePixels(rows: Int, seed: UInt64 = 1) -> [UInt8] {
    var generator = SplitMix64(seed: seed)
    return (0..<(rows * 784)).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 56) }
}

/// An inference request body with one input tensor.
func inferBody(datatype: String, shape: [Int], data: [Double], outputs: [String]? = nil, id: String? = nil) -> String {
    let input: [String: Any] = ["name": "input", "datatype": datatype, "shape": shape, "data": data]
    var object: [String: Any] = ["inputs": [input]]
    if let outputs { object["outputs"] = outputs.map { ["name": $0] as [String: Any] } }
    if let id { object["id"] = id }
    return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

/// The path of an executable built next to this test bundle.
func builtExecutable(_ name: String) -> String {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(name).path
}
