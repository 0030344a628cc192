import Foundation

/// Writes and reads the safetensors format: an 8-byte little-endian header
/// length `N`, `N` bytes of JSON mapping each tensor name to its `dtype`,
/// `shape` and `data_offsets` (relative to the end of the header), then the
/// raw little-endian data. Only `F32` tensors are written or read here.
public enum SafetensorsFile {
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "shape does not match the value count")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The file's bytes. Tensors are stored in the given order; the header is
    /// padded with spaces to a multiple of 8 bytes, as the reference writer does.
    public static func encode(_ tensors: [Tensor], metadata: [String: String] = [:]) -> [UInt8] {
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in tensors {
            let end = offset + 4 * tensor.values.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        let length = UInt64(header.count)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        bytes += header
        for tensor in tensors {
            for value in tensor.values {
                let bits = value.bitPattern
                for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
            }
        }
        return bytes
    }

    /// Parses a safetensors file's bytes (F32 tensors only), checking that
    /// the offsets are in bounds and match each shape.
    public static func decode(_ bytes: [UInt8]) throws(SafetensorsError) -> (tensors: [Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw SafetensorsError(message: "shorter than the 8-byte header length") }
        var length: UInt64 = 0
        for index in 0..<8 { length |= UInt64(bytes[index]) << UInt64(8 * index) }
        guard length <= UInt64(bytes.count - 8) else { throw SafetensorsError(message: "header length \(length) exceeds the file") }
        let dataStart = 8 + Int(length)
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
                throw SafetensorsError(message: "the header is not a JSON object")
            }
            object = parsed
        } catch let error as SafetensorsError {
            throw error
        } catch {
            throw SafetensorsError(message: "the header is not valid JSON: \(error)")
        }
        var metadata: [String: String] = [:]
        var tensors: [(start: Int, tensor: Tensor)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                metadata = value as? [String: String] ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw SafetensorsError(message: "tensor \(name) has a malformed entry")
            }
            guard dtype == "F32" else { throw SafetensorsError(message: "tensor \(name) has dtype \(dtype), only F32 is read") }
            let count = shape.reduce(1, *)
            guard offsets[0] >= 0, offsets[1] - offsets[0] == 4 * count, dataStart + offsets[1] <= bytes.count else {
                throw SafetensorsError(message: "tensor \(name) has offsets \(offsets) that do not fit shape \(shape) or the file")
            }
            var values = [Float](repeating: 0, count: count)
            for index in 0..<count {
                let at = dataStart + offsets[0] + 4 * index
                let bits = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
                values[index] = Float(bitPattern: bits)
            }
            tensors.append((offsets[0], Tensor(name: name, shape: shape, values: values)))
        }
        return (tensors.sorted { $0.start < $1.start }.map(\.tensor), metadata)
    }

    /// The model's layers as `layers.<i>.weight` (`[outputs, inputs]`) and
    /// `layers.<i>.bias` (`[outputs]`) tensors.
    public static func tensors(of model: MLP) -> [Tensor] {
        model.architecture.layers.enumerated().flatMap { index, layer in
            [
                Tensor(
                    name: MLPArchitecture.weightName(layer: index), shape: [layer.outputs, layer.inputs],
                    values: Array(model.parameters[layer.weightOffset..<layer.biasOffset])),
                Tensor(
                    name: MLPArchitecture.biasName(layer: index), shape: [layer.outputs],
                    values: Array(model.parameters[layer.biasOffset..<layer.range.upperBound])),
            ]
        }
    }

    private static func jsonString(_ value: String) -> String {
        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }
}

/// A safetensors file that could not be parsed.
public struct SafetensorsError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { "invalid safetensors file: \(message)" }
}
