import Foundation
import RingmasterTesting
import Testing

/// `ringmaster bench informer` runs end to end on a few objects and prints
/// every figure it promises (the figures themselves are not judged here).
@Suite struct InformerBenchCommandTests {
    @Test func theBenchmarkReportsListWatchAndMemoryFigures() async throws {
        let ringmaster = try ExternalTools.product("ringmaster")
        let result = try await ProcessRunner.run(
            ringmaster, ["bench", "informer", "--objects", "20", "--concurrency", "4"], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.combinedOutput)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        func number(after prefix: String, in line: String?) -> Double? {
            guard let line, let range = line.range(of: prefix) else { return nil }
            return Double(line[range.upperBound...].prefix { $0.isNumber || $0 == "." || $0 == "-" })
        }
        let header = lines.first { $0.hasPrefix("objects=") }
        #expect(header?.contains("objects=20 kind=Pod") == true, "\(result.standardOutput)")
        let list = lines.first { $0.hasPrefix("list:") }
        #expect((number(after: "hasSynced, ", in: list) ?? 0) > 0, "\(result.standardOutput)")
        let watch = lines.first { $0.hasPrefix("watch:") }
        #expect((number(after: "reflecting all, ", in: watch) ?? 0) > 0, "\(result.standardOutput)")
        let size = lines.first { $0.hasPrefix("pod encoded as JSON:") }
        #expect((number(after: "JSON: ", in: size) ?? 0) > 1000, "\(result.standardOutput)")
        let memory = lines.first { $0.hasPrefix("informer memory:") }
        #expect(number(after: "memory: ", in: memory) != nil, "\(result.standardOutput)")
    }
}
