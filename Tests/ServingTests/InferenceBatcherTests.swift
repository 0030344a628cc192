import Foundation
import NIOConcurrencyHelpers
import Serving
import Testing
import Training

@Suite struct InferenceBatcherTests {
    let model = fashionShapedModel()

    /// Queues requests of the given row counts, all before `run()` starts, so
    /// the batches they make do not depend on timing; returns each request's
    /// logits, the batches' sample counts, and checks each answer against
    /// the trainer's forward pass of that request alone.
    func runQueued(_ rowCounts: [Int], maxBatchSize: Int) async throws -> [Int] {
        let batches = NIOLockedValueBox<[Int]>([])
        let batcher = InferenceBatcher(
            model: MLPInferenceModel(model: model), configuration: .init(maxBatchSize: maxBatchSize, maxDelay: .zero)
        ) { record in batches.withLockedValue { $0.append(record.samples) } }
        let inputs = rowCounts.enumerated().map { index, rows in
            samplePixels(rows: rows, seed: UInt64(index + 1)).map { Float($0) / 255 }
        }
        try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (index, rows) in rowCounts.enumerated() {
                group.addTask { (index, try await batcher.infer(features: inputs[index], rows: rows)) }
                // One at a time, so the queue's order is the requests' order.
                while batcher.queuedSamples < rowCounts[0...index].reduce(0, +) { await Task.yield() }
            }
            let runner = Task { try await batcher.run() }
            var answered = 0
            for try await (index, logits) in group {
                // A forward pass over more rows may round differently
                // (OpenBLAS blocks sgemm by its shape): the same within float
                // rounding, and the same predicted classes.
                let alone = trainerLogits(model, features: inputs[index], rows: rowCounts[index])
                #expect(sameWithinRounding(logits, alone), "request \(index): \(logits) vs \(alone)")
                #expect(ModelSignature.argmax(logits[...], classCount: 10) == ModelSignature.argmax(alone[...], classCount: 10), "request \(index)")
                answered += 1
            }
            #expect(answered == rowCounts.count)
            runner.cancel()
            try await runner.value
        }
        return batches.withLockedValue { $0 }
    }

    @Test func queuedRequestsShareForwardPassesUpToTheMaximum() async throws {
        #expect(try await runQueued(Array(repeating: 1, count: 10), maxBatchSize: 4) == [4, 4, 2])
    }

    @Test func aRequestLargerThanTheMaximumRunsAlone() async throws {
        #expect(try await runQueued([1, 6, 2, 1], maxBatchSize: 4) == [1, 6, 3])
    }

    @Test func shutdownAnswersWhatIsQueuedThenRefuses() async throws {
        let batcher = InferenceBatcher(model: MLPInferenceModel(model: model), configuration: .init(maxBatchSize: 2, maxDelay: .zero))
        let features = samplePixels(rows: 1).map { Float($0) / 255 }
        let queued = (0..<3).map { _ in Task { try await batcher.infer(features: features, rows: 1) } }
        while batcher.queuedSamples < 3 { await Task.yield() }
        batcher.close()
        #expect(!batcher.isAcceptingRequests)
        // Closed before it ran: it still answers all three, then returns by itself.
        try await batcher.run()
        for task in queued { #expect(sameWithinRounding(try await task.value, trainerLogits(model, features: features, rows: 1))) }
        let error = await #expect(throws: InferenceError.self) { try await batcher.infer(features: features, rows: 1) }
        #expect(error?.code == .unavailable)
    }

    @Test func runReturnsWhenCancelled() async throws {
        let batcher = InferenceBatcher(model: MLPInferenceModel(model: model))
        let runner = Task { try await batcher.run() }
        while !batcher.isAcceptingRequests { await Task.yield() }
        runner.cancel()
        try await runner.value
        #expect(!batcher.isAcceptingRequests)
    }
}
