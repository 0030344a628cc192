import Foundation
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Batches concurrent inference requests into one forward pass (one
/// `sgemm` per layer) of the model.
///
/// `infer` queues a request's samples and waits for its logits; `run()` takes
/// the queued requests, up to `maxBatchSize` samples (a request larger than
/// that runs alone), runs them as one batch and hands each request its rows.
/// Requests that arrive while a batch runs make the next batch, so under load
/// batches grow without anyone waiting on purpose. Beyond that, when the
/// server has told it that more requests are on their way (`requestArriving`,
/// for requests whose bodies are still being read) and the batch is not
/// full, `run()` waits for them, at most `maxDelay` after the oldest queued
/// request arrived; a lone request never waits.
///
/// `run()` blocks until cancelled or until graceful shutdown, and finishes
/// the requests already queued before it returns; `infer` after that throws
/// `InferenceError` (`unavailable`). Safe to call from any number of tasks.
public final class InferenceBatcher: Service, Sendable {
    public struct Configuration: Sendable, Hashable {
        /// The most samples in one forward pass.
        public var maxBatchSize: Int
        /// The longest a request waits for others to join its batch.
        public var maxDelay: Duration

        public init(maxBatchSize: Int = 64, maxDelay: Duration = .microseconds(500)) {
            precondition(maxBatchSize >= 1, "a batch holds at least one sample")
            self.maxBatchSize = maxBatchSize
            self.maxDelay = maxDelay
        }
    }

    /// What one batch held, for metrics.
    public struct BatchRecord: Sendable {
        public var requests: Int
        public var samples: Int
    }

    private struct Pending {
        var rows: Int
        var features: [Float]
        var arrived: ContinuousClock.Instant
        var continuation: CheckedContinuation<[Float], any Error>
    }

    private struct State {
        var queue: [Pending] = []
        var queuedRows = 0
        var wakeUp: CheckedContinuation<Void, Never>?
        var arriving = 0
        var closed = false
    }

    public let model: any InferenceModel
    public let configuration: Configuration
    private let onBatch: @Sendable (BatchRecord) -> Void
    private let state = NIOLockedValueBox(State())

    /// - Parameter onBatch: called after every batch (from the batching task).
    public init(model: any InferenceModel, configuration: Configuration = .init(), onBatch: @escaping @Sendable (BatchRecord) -> Void = { _ in }) {
        self.model = model
        self.configuration = configuration
        self.onBatch = onBatch
    }

    /// Whether requests are taken (until `close()` or graceful shutdown; a
    /// request queued before `run()` starts is answered once it runs).
    public var isAcceptingRequests: Bool {
        state.withLockedValue { !$0.closed }
    }

    /// Samples queued and not yet in a batch.
    public var queuedSamples: Int {
        state.withLockedValue { $0.queuedRows }
    }

    /// Says that a request is on its way (its body is being read), so that a
    /// batch may wait a little for it. Every call is followed by exactly one
    /// `infer(..., announced: true)` or `requestAbandoned()`.
    public func requestArriving() {
        state.withLockedValue { $0.arriving += 1 }
    }

    /// Withdraws a `requestArriving()` whose request will not be queued (bad input).
    public func requestAbandoned() {
        state.withLockedValue { $0.arriving = max(0, $0.arriving - 1) }
    }

    /// The logits of `rows` samples (`features` row-major), `rows * classCount`
    /// values. Throws `InferenceError` (`unavailable`) once the batcher has
    /// shut down; a request queued before that is always answered.
    public func infer(features: [Float], rows: Int, announced: Bool = false) async throws -> [Float] {
        precondition(rows >= 1 && features.count == rows * model.inputCount, "features must hold rows samples")
        return try await withCheckedThrowingContinuation { continuation in
            let (accepted, wakeUp) = state.withLockedValue { state -> (Bool, CheckedContinuation<Void, Never>?) in
                if announced { state.arriving = max(0, state.arriving - 1) }
                guard !state.closed else { return (false, nil) }
                state.queue.append(Pending(rows: rows, features: features, arrived: .now, continuation: continuation))
                state.queuedRows += rows
                let wakeUp = state.wakeUp
                state.wakeUp = nil
                return (true, wakeUp)
            }
            guard accepted else {
                continuation.resume(throwing: InferenceError(.unavailable, "the server is shutting down"))
                return
            }
            wakeUp?.resume()
        }
    }

    /// Runs batches until cancelled or until graceful shutdown, then answers
    /// what is queued and returns.
    public func run() async throws {
        var runner = model.makeRunner()
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                while let batch = await nextBatch() {
                    execute(batch, runner: &runner)
                }
            } onCancel: {
                self.close()
            }
        } onGracefulShutdown: {
            self.close()
        }
    }

    /// Stops taking requests; `run()` returns once the queue is empty.
    public func close() {
        let wakeUp = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            let wakeUp = state.wakeUp
            state.wakeUp = nil
            return wakeUp
        }
        wakeUp?.resume()
    }

    /// The next batch, or nil once closed and drained.
    private func nextBatch() async -> [Pending]? {
        // Wait for work (or for close).
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLockedValue { state -> Bool in
                if !state.queue.isEmpty || state.closed { return true }
                state.wakeUp = continuation
                return false
            }
            if ready { continuation.resume() }
        }
        // Wait a little for requests on their way, while the batch is not full.
        let maxDelay = configuration.maxDelay
        if maxDelay > .zero {
            let (shouldWait, oldest) = state.withLockedValue { state -> (Bool, ContinuousClock.Instant?) in
                let oldest = state.queue.first?.arrived
                return (!state.closed && state.arriving > 0 && state.queuedRows < configuration.maxBatchSize, oldest)
            }
            if shouldWait, let oldest {
                let deadline = oldest + maxDelay
                if deadline > .now { try? await Task.sleep(until: deadline, clock: .continuous) }
            }
        }
        return state.withLockedValue { state -> [Pending]? in
            if state.queue.isEmpty { return state.closed ? nil : [] }
            var taken = 0
            var rows = 0
            while taken < state.queue.count, taken == 0 || rows + state.queue[taken].rows <= configuration.maxBatchSize {
                rows += state.queue[taken].rows
                taken += 1
            }
            let batch = Array(state.queue.prefix(taken))
            state.queue.removeFirst(taken)
            state.queuedRows -= rows
            return batch
        }
    }

    private func execute(_ batch: [Pending], runner: inout any InferenceRunner) {
        guard !batch.isEmpty else { return }
        let rows = batch.reduce(0) { $0 + $1.rows }
        var features: [Float]
        if batch.count == 1 {
            features = batch[0].features
        } else {
            features = []
            features.reserveCapacity(rows * model.inputCount)
            for pending in batch { features += pending.features }
        }
        var logits: [Float] = []
        features.withUnsafeBufferPointer { runner.logits(features: $0, count: rows, into: &logits) }
        let classes = model.classCount
        var offset = 0
        for pending in batch {
            let count = pending.rows * classes
            pending.continuation.resume(returning: Array(logits[offset..<(offset + count)]))
            offset += count
        }
        onBatch(BatchRecord(requests: batch.count, samples: rows))
    }
}
