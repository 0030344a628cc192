import ControllerRuntime
import Foundation
import KubeClient
import RingmasterTesting
import Testing

/// Two candidates against the local API server, on one manual clock.
@Suite struct LeaderElectionTests {
    final class Flags: @unchecked Sendable {
        private let lock = NSLock()
        private var leading: Set<String> = []
        private var everLed: [String] = []
        func set(_ name: String, _ on: Bool) {
            lock.lock(); defer { lock.unlock() }
            if on { leading.insert(name); everLed.append(name) } else { leading.remove(name) }
        }
        var current: Set<String> { lock.lock(); defer { lock.unlock() }; return leading }
        var history: [String] { lock.lock(); defer { lock.unlock() }; return everLed }
    }

    /// Advances the clock one second after every live candidate is asleep on it again.
    static func tick(_ clock: ManualClock, sleepers: Int) async throws {
        for _ in 0..<300 where clock.sleeperCount < sleepers {
            try await Task.sleep(for: .milliseconds(5))
        }
        clock.advance(by: .seconds(1))
    }

    @Test func exactlyOneLeadsAndTheOtherTakesOverWithinTheLeaseDuration() async throws {
        let cluster = try await LocalClusterFixture.start()
        do {
            let clock = ManualClock()
            let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath),
                                              options: ClientOptions(qps: nil, clock: clock))
            func elector(_ name: String) -> LeaderElector {
                LeaderElector(client: client, config: LeaderElectionConfig(
                    leaseName: "ringmaster-lock", namespace: "default", identity: name,
                    releaseOnCancel: false), clock: clock)
            }
            let flags = Flags()
            let a = elector("a")
            let b = elector("b")
            func campaign(_ elector: LeaderElector) -> @Sendable () async throws -> Void {
                { [flags] in
                    try await elector.run {
                        flags.set(elector.config.identity, true)
                        defer { flags.set(elector.config.identity, false) }
                        let (never, continuation) = AsyncStream<Never>.makeStream()
                        for await _ in never {}
                        continuation.finish()
                    }
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { outer in
                // "a" starts first and wins; "b" keeps trying.
                let aTask = Task { try await campaign(a)() }
                try await waitUntil("a leads") { flags.current == ["a"] }
                outer.addTask { try await campaign(b)() }
                for _ in 0..<30 {
                    try await Self.tick(clock, sleepers: 2)
                    #expect(flags.current.count == 1)
                }
                #expect(flags.current == ["a"])
                #expect(a.isLeader && !b.isLeader)

                // The leader dies without releasing the lease (a crash).
                aTask.cancel()
                _ = await aTask.result
                try await waitUntil("a stopped") { !flags.current.contains("a") }
                let died = clock.now()
                while !flags.current.contains("b") && clock.now() - died < .seconds(40) {
                    try await Self.tick(clock, sleepers: 1)
                    try await Task.sleep(for: .milliseconds(20))
                }
                let takeover = clock.now() - died
                #expect(flags.current == ["b"])
                // Within the lease duration (15 s) plus one retry period (2 s).
                #expect(takeover <= .seconds(17))
                #expect(takeover >= .seconds(13))
                let lease = try await client.leases.get("ringmaster-lock", in: "default")
                #expect(lease.spec?.holderIdentity == "b")
                #expect(lease.spec?.leaseTransitions == 1)
                outer.cancelAll()
            }
            #expect(flags.history == ["a", "b"])
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    @Test func aGracefulStopReleasesTheLease() async throws {
        let cluster = try await LocalClusterFixture.start()
        do {
            let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath),
                                              options: ClientOptions(qps: nil))
            let elector = LeaderElector(client: client, config: LeaderElectionConfig(
                leaseName: "release-me", namespace: "default", identity: "solo"), clock: ManualClock())
            let task = Task {
                try await elector.run {
                    let (never, continuation) = AsyncStream<Never>.makeStream()
                    for await _ in never {}
                    continuation.finish()
                }
            }
            try await waitUntil("leading") { elector.isLeader }
            task.cancel()
            try await task.value
            let lease = try await client.leases.get("release-me", in: "default")
            #expect(lease.spec?.holderIdentity == nil)
            #expect(!elector.isLeader)
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }
}
