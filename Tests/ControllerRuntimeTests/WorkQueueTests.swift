import ControllerRuntime
import KubeClient
import Testing

@Suite struct WorkQueueTests {
    @Test func keysAreDeduplicatedAndNeverHandedOutTwiceAtOnce() async throws {
        let queue = WorkQueue<String>(name: "dedupe", clock: ManualClock())
        await queue.add("a")
        await queue.add("a")
        await queue.add("b")
        #expect(await queue.count == 2)
        let first = await queue.get()
        #expect(first == "a")
        // Added while processing: held back until done.
        await queue.add("a")
        #expect(await queue.count == 1)
        #expect(await queue.get() == "b")
        #expect(await queue.count == 0)
        await queue.done("a")
        #expect(await queue.count == 1)
        #expect(await queue.get() == "a")
        await queue.done("a")
        await queue.done("b")
        #expect(await queue.count == 0)
    }

    @Test func shutDownReleasesWaitingWorkers() async throws {
        let queue = WorkQueue<String>(name: "shutdown", clock: ManualClock())
        await withTaskGroup(of: String?.self) { group in
            group.addTask { await queue.get() }
            group.addTask { await queue.get() }
            try? await Task.sleep(for: .milliseconds(50))
            await queue.shutDown()
            var results: [String?] = []
            for await result in group { results.append(result) }
            #expect(results == [nil, nil])
        }
        await queue.add("late")
        #expect(await queue.get() == nil)
    }

    @Test func backoffDoublesPerItemFrom5msTo1000s() async {
        let limiter = WorkQueueRateLimiter<String>(qps: nil, clock: ManualClock())
        var delays: [Duration] = []
        for _ in 0..<4 { delays.append(await limiter.when("x")) }
        #expect(delays == [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40)])
        #expect(await limiter.when("y") == .milliseconds(5))  // per item
        for _ in 0..<40 { _ = await limiter.when("x") }
        #expect(await limiter.when("x") == .seconds(1000))
        await limiter.forget("x")
        #expect(await limiter.when("x") == .milliseconds(5))
    }

    @Test func theOverallBucketLimitsBurstsOfFailures() async {
        let clock = ManualClock()
        let limiter = WorkQueueRateLimiter<Int>(baseDelay: .milliseconds(5), qps: 10, burst: 2, clock: clock)
        #expect(await limiter.when(1) == .milliseconds(5))
        #expect(await limiter.when(2) == .milliseconds(5))
        // Bucket empty: the third distinct item waits for a token (100 ms at 10 qps).
        #expect(await limiter.when(3) == .milliseconds(100))
        #expect(await limiter.when(4) == .milliseconds(200))
    }

    @Test func delayedAddsArriveWhenTheClockReachesThem() async throws {
        let clock = ManualClock()
        let queue = WorkQueue<String>(name: "delayed", clock: clock)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await queue.runDelayLoop() }
            await queue.add("later", after: .seconds(10))
            await queue.add("sooner", after: .seconds(5))
            await queue.add("later", after: .seconds(30))   // the earlier delayed add of a key wins
            #expect(await queue.delayedCount == 2)
            try await waitUntil { clock.sleeperCount == 1 }
            clock.advance(by: .seconds(5))
            try await waitUntil { await queue.count == 1 }
            #expect(await queue.get() == "sooner")
            try await waitUntil { clock.sleeperCount == 1 }
            clock.advance(by: .seconds(4))
            try await Task.sleep(for: .milliseconds(30))
            #expect(await queue.count == 0)
            clock.advance(by: .seconds(1))
            try await waitUntil { await queue.count == 1 }
            #expect(await queue.get() == "later")
            await queue.shutDown()
            try await group.waitForAll()
        }
    }
}

/// Polls `condition` (real time, at most ~5 s); records an issue when it never holds.
func waitUntil(_ what: String = "condition", _ condition: () async throws -> Bool) async throws {
    for _ in 0..<500 {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for \(what)")
}
