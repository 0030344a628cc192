import Foundation
import KubeClient
import Testing
import TrainingJobAPI

extension EndToEndFaultTests {
    /// Faults of the control plane: the API server misbehaving or dying,
    /// the leading operator dying.
    @Suite struct ControlPlane {
        @Test func apiServerAnswering409And429And500ThroughoutStillSucceeds() async throws {
            // Rates are cumulative (the answers are checked in order with one
            // draw): 5% each of 409, 429 and 500 on every request.
            let cluster = try await EndToEndCluster.start(
                serverArguments: ["--fault", "error=409:0.05,error=429:0.10,error=500:0.15"])
            do {
                try cluster.startOperator()
                let name = try await cluster.submit(FaultJobs.small(name: "flaky-api", epochs: 2, trainLimit: 3000))
                let done = try await cluster.waitForJob(name, timeout: .seconds(240), "Succeeded") { $0.status?.phase == .succeeded }
                let status = try #require(done.status)
                #expect(status.restartCount ?? 0 == 0, "\(cluster.describe(done))")
                #expect((status.metrics?.testAccuracy ?? 0) > 0.6, "\(cluster.describe(done))")
                let metrics = try cluster.artifactMetrics(done)
                #expect(metrics["resumedFromStep"] is NSNull, "no restart, so no resume: \(metrics)")
            } catch {
                Issue.record("\(error)\n\(cluster.logs())")
            }
            await cluster.shutdown()
        }

        @Test func apiServerKilledAndRestartedMidJobResumesAndSucceeds() async throws {
            let cluster = try await EndToEndCluster.start()
            do {
                try cluster.startOperator()
                let name = try await cluster.submit(FaultJobs.small(name: "server-kill", epochs: 4, holdAfterStep: 40))
                let before = try await cluster.waitForJob(
                    name, timeout: .seconds(120), "held mid-training", until: FaultJobs.held(atStep: 40))
                let checkpoint = before.status?.checkpoint?.step ?? 0
                let workers = [try await cluster.workerPID(name, index: 0), try await cluster.workerPID(name, index: 1)]
                // The node agent runs inside `local up`: killing it takes the
                // node down too, so its worker processes die with it.
                cluster.server?.signal(SIGKILL)
                for pid in workers { kill(pid, SIGKILL) }
                try cluster.releaseHold(name)
                try await Task.sleep(for: .seconds(1))
                try await cluster.startServer()
                let done = try await cluster.waitForJob(name, timeout: .seconds(240), "Succeeded") { $0.status?.phase == .succeeded }
                let status = try #require(done.status)
                #expect(status.restartCount == 1, "\(cluster.describe(done))")
                let metrics = try cluster.artifactMetrics(done)
                let resumed = try #require(metrics["resumedFromStep"] as? Int, "metrics.json: \(metrics)")
                #expect(resumed >= checkpoint && resumed > 0)
            } catch {
                Issue.record("\(error)\n\(cluster.logs())")
            }
            await cluster.shutdown()
        }

        @Test func leaderOperatorKilledTheOtherTakesOver() async throws {
            let cluster = try await EndToEndCluster.start()
            do {
                let candidates = [
                    try cluster.startOperator(extraArguments: ["--leader-elect", "--leader-election-namespace", "default"]),
                    try cluster.startOperator(extraArguments: ["--leader-elect", "--leader-election-namespace", "default"]),
                ]
                let name = try await cluster.submit(FaultJobs.small(name: "leader-kill", epochs: 4, holdAfterStep: 40))
                _ = try await cluster.waitForJob(name, timeout: .seconds(120), "held mid-training", until: FaultJobs.held(atStep: 40))
                let leaders = candidates.filter { $0.logTail().contains("became leader") }
                try #require(leaders.count == 1, "exactly one leader: \(cluster.logs())")
                let leader = try #require(leaders.first)
                let follower = try #require(candidates.first { $0 !== leader })
                leader.signal(SIGKILL)
                // A worker dies while the old leader is gone: only a new leader can restart the ring.
                try await Task.sleep(for: .seconds(1))
                let worker = try await cluster.workerPID(name, index: 1)
                kill(worker, SIGKILL)
                try cluster.releaseHold(name)
                let done = try await cluster.waitForJob(name, timeout: .seconds(240), "Succeeded") { $0.status?.phase == .succeeded }
                #expect(follower.logTail().contains("became leader"))
                let status = try #require(done.status)
                #expect(status.restartCount == 1, "\(cluster.describe(done))")
                let metrics = try cluster.artifactMetrics(done)
                let resumed = try #require(metrics["resumedFromStep"] as? Int, "metrics.json: \(metrics)")
                #expect(resumed > 0)
            } catch {
                Issue.record("\(error)\n\(cluster.logs())")
            }
            await cluster.shutdown()
        }
    }
}
