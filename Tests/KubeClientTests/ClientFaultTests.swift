import Foundation
import KubeClient
import RingmasterTesting
import Testing

/// Faults the client must handle, played by the scripted fake server
/// (see ScriptedHTTPServer.swift for why a fake is used here).
@Suite struct ClientFaultTests {
    nonisolated(unsafe) static let configMapJSON: [String: Any] = [
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": ["name": "c", "namespace": "default", "resourceVersion": "7"], "data": ["k": "v"],
    ]

    /// Counts calls; the script decides by the count.
    final class Counter: Sendable {
        private let value = LockedCount()
        func next() -> Int { value.increment() }
        var count: Int { value.current }
    }

    /// Waits (real time, bounded) until the manual clock has `count` sleepers.
    static func waitForSleepers(_ clock: ManualClock, _ count: Int = 1) async throws {
        for _ in 0..<500 where clock.sleeperCount < count {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(clock.sleeperCount >= count)
    }

    @Test func tooManyRequestsIsRetriedAfterRetryAfterOnGetButNotOnPost() async throws {
        let calls = Counter()
        try await ScriptedHTTPServer.with({ request in
            if request.method == "POST" {
                return .status(429, reason: "TooManyRequests", headers: ["Retry-After": "3"])
            }
            return calls.next() == 1
                ? .status(429, reason: "TooManyRequests", headers: ["Retry-After": "2"])
                : .json(200, Self.configMapJSON)
        }) { url in
            let clock = ManualClock()
            let client = try KubernetesClient(config: KubeConfig(server: url), options: ClientOptions(qps: nil, clock: clock))
            try await withThrowingTaskGroup(of: ConfigMap.self) { group in
                group.addTask { try await client.configMaps.get("c", in: "default") }
                try await Self.waitForSleepers(clock)
                // The client waits exactly what the server asked for.
                #expect(clock.nextDeadline == .seconds(2))
                clock.advance(by: .seconds(2))
                let map = try await group.next()!
                #expect(map.data == ["k": "v"])
            }
            #expect(calls.count == 2)
            let error = await #expect(throws: KubernetesAPIError.self) {
                _ = try await client.configMaps.create(ConfigMap(metadata: ObjectMeta(name: "c", namespace: "default")))
            }
            #expect(error?.isTooManyRequests == true)
            #expect(error?.retryAfter == 3)
        }
    }

    @Test(arguments: [500, 502, 503, 504])
    func serverErrorsOnListAreRetriedWithBackoff(code: Int) async throws {
        let calls = Counter()
        try await ScriptedHTTPServer.with({ _ in
            calls.next() <= 2
                ? .status(code, reason: "InternalError")
                : .json(200, ["apiVersion": "v1", "kind": "ConfigMapList", "metadata": ["resourceVersion": "9"],
                              "items": [Self.configMapJSON]])
        }) { url in
            let clock = ManualClock()
            let client = try KubernetesClient(config: KubeConfig(server: url), options: ClientOptions(
                qps: nil, retryBaseDelay: .milliseconds(100), clock: clock))
            try await withThrowingTaskGroup(of: ResourceList<ConfigMap>.self) { group in
                group.addTask { try await client.configMaps.list(in: .namespace("default")) }
                try await Self.waitForSleepers(clock)
                #expect(clock.nextDeadline == .milliseconds(100))
                clock.advance(by: .milliseconds(100))
                try await Self.waitForSleepers(clock)
                #expect(clock.nextDeadline == .milliseconds(300))  // doubled: 100 ms after 100 ms, then 200 ms
                clock.advance(by: .milliseconds(200))
                let list = try await group.next()!
                #expect(list.items.count == 1)
                #expect(list.metadata.resourceVersion == "9")
            }
        }
    }

    @Test func retriesStopAfterMaxRetriesAndPatchIsNeverRetried() async throws {
        let calls = Counter()
        try await ScriptedHTTPServer.with({ _ in
            _ = calls.next()
            return .status(503, reason: "ServiceUnavailable")
        }) { url in
            let client = try KubernetesClient(config: KubeConfig(server: url), options: ClientOptions(
                qps: nil, maxRetries: 2, retryBaseDelay: .milliseconds(1)))
            let error = await #expect(throws: KubernetesAPIError.self) { _ = try await client.configMaps.get("c", in: "x") }
            #expect(error?.code == 503)
            #expect(calls.count == 3)
            _ = await #expect(throws: KubernetesAPIError.self) {
                _ = try await client.configMaps.patch("c", in: "x", .merge(["data": ["a": "b"]]))
            }
            #expect(calls.count == 4)
        }
    }

    @Test func aSlowServerPastTheTimeoutIsATimeoutError() async throws {
        try await ScriptedHTTPServer.with({ _ in .delayed(.seconds(3), .json(200, Self.configMapJSON)) }) { url in
            let client = try KubernetesClient(config: KubeConfig(server: url), options: ClientOptions(
                qps: nil, requestTimeout: .milliseconds(300), maxRetries: 0))
            let started = ContinuousClock.now
            let error = await #expect(throws: KubeClientError.self) { _ = try await client.configMaps.get("c", in: "d") }
            #expect(error?.code == .timeout)
            #expect(ContinuousClock.now - started < .seconds(2))
        }
    }

    @Test func aRotatedTokenFileIsReadAgain() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenPath = directory.appendingPathComponent("token").path
        try "first-token\n".write(toFile: tokenPath, atomically: true, encoding: .utf8)
        let seen = LockedStrings()
        try await ScriptedHTTPServer.with({ request in
            seen.append(request.headers["authorization"] ?? "")
            // The server only accepts the newest token once it rotated to the third one.
            if request.headers["authorization"] == "Bearer stale" { return .status(401, reason: "Unauthorized") }
            return .json(200, Self.configMapJSON)
        }) { url in
            let clock = ManualClock()
            let client = try KubernetesClient(
                config: KubeConfig(server: url, credentials: .tokenFile(path: tokenPath, refreshInterval: .seconds(60))),
                options: ClientOptions(qps: nil, clock: clock))
            _ = try await client.configMaps.get("c", in: "default")
            try "second-token\n".write(toFile: tokenPath, atomically: true, encoding: .utf8)
            _ = try await client.configMaps.get("c", in: "default")   // cached until the refresh interval passes
            clock.advance(by: .seconds(61))
            _ = try await client.configMaps.get("c", in: "default")
            #expect(seen.all == ["Bearer first-token", "Bearer first-token", "Bearer second-token"])

            // A 401 makes the client read the file again at once.
            try "stale\n".write(toFile: tokenPath, atomically: true, encoding: .utf8)
            clock.advance(by: .seconds(61))
            try "third-token\n".write(toFile: tokenPath, atomically: true, encoding: .utf8)
            _ = try await client.configMaps.get("c", in: "default")
            #expect(seen.all.last == "Bearer third-token")
        }
    }

    @Test func requestsAreReportedWithPathTemplates() async throws {
        try await ScriptedHTTPServer.with({ _ in .json(200, Self.configMapJSON) }) { url in
            let recorder = RequestRecorder()
            let client = try KubernetesClient(config: KubeConfig(server: url), options: ClientOptions(
                qps: nil, requestObserver: recorder.observe))
            _ = try await client.configMaps.get("c", in: "default")
            _ = try await client.pods.patchStatus("p", in: "ns", .merge(["status": ["phase": "Running"]]))
            let records = recorder.all
            #expect(records.map(\.verb) == ["get", "patch"])
            #expect(records.map(\.pathTemplate) == [
                "/api/v1/namespaces/{namespace}/configmaps/{name}", "/api/v1/namespaces/{namespace}/pods/{name}/status",
            ])
            #expect(records.map(\.subresource) == [nil, "status"])
            #expect(records.allSatisfy { $0.statusCode == 200 })
        }
    }
}

final class LockedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.lock(); defer { lock.unlock() }
        value += 1
        return value
    }
    var current: Int {
        lock.lock(); defer { lock.unlock() }
        return value
    }
}

final class LockedStrings: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String] = []
    func append(_ value: String) {
        lock.lock(); defer { lock.unlock() }
        values.append(value)
    }
    var all: [String] {
        lock.lock(); defer { lock.unlock() }
        return values
    }
}
