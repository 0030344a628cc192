import Foundation
import Testing
@testable import Training

@Suite struct SafetensorsTests {
    private let model = MLP(architecture: MLPArchitecture(inputCount: 5, hiddenWidths: [3], classCount: 2), seed: 8)

    @Test func roundTrip() throws {
        let bytes = SafetensorsFile.encode(SafetensorsFile.tensors(of: model), metadata: ["format": "pt"])
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((8 + headerLength) % 8 == 0)
        let (tensors, metadata) = try SafetensorsFile.decode(bytes)
        #expect(metadata == ["format": "pt"])
        #expect(tensors.map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"])
        #expect(tensors.map(\.shape) == [[3, 5], [3], [2, 3], [2]])
        #expect(tensors.flatMap(\.values) == model.parameters)
    }

    @Test func numpyReadsTheFileFromItsHeader() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/model.safetensors"
        try write(SafetensorsFile.encode(SafetensorsFile.tensors(of: model)), to: path)
        // An independent reader: Python's json + numpy, following the published format.
        let script = """
        import json, struct, sys
        import numpy as np
        raw = open(sys.argv[1], 'rb').read()
        (n,) = struct.unpack('<Q', raw[:8])
        header = json.loads(raw[8:8 + n])
        data = raw[8 + n:]
        total = 0.0
        for name in sorted(k for k in header if k != '__metadata__'):
            entry = header[name]
            assert entry['dtype'] == 'F32'
            start, end = entry['data_offsets']
            array = np.frombuffer(data[start:end], dtype='<f4').reshape(entry['shape'])
            total += float(array.astype(np.float64).sum())
            print(name, 'x'.join(map(str, array.shape)))
        print('sum %.6f' % total)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.prefix(4) == ["layers.0.bias 3", "layers.0.weight 3x5", "layers.1.bias 2", "layers.1.weight 2x3"])
        let sum = model.parameters.reduce(0.0) { $0 + Double($1) }
        #expect(lines.last == String(format: "sum %.6f", sum))
    }

    @Test func rejectsMalformedFiles() {
        #expect(throws: SafetensorsError.self) { try SafetensorsFile.decode([1, 2, 3]) }
        var bytes = SafetensorsFile.encode(SafetensorsFile.tensors(of: model))
        bytes.removeLast(4)
        #expect(throws: SafetensorsError.self) { try SafetensorsFile.decode(bytes) }
    }
}
