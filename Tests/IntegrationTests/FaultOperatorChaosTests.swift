import Foundation
import KubeClient
import Testing
import Training
import TrainingJobAPI

extension EndToEndFaultTests {
    /// The operator killed with SIGKILL at random moments of a job's life and
    /// started again each time: the job ends as one uninterrupted run ends.
    @Suite struct OperatorChaos {
        /// The kinds of a TrainingJob's children.
        static let childKinds: [ResourceDescriptor] = [
            ResourceDescriptor(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true),
            ResourceDescriptor(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true),
            ResourceDescriptor(group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true),
            ResourceDescriptor(group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true),
            ResourceDescriptor(group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true),
            ResourceDescriptor(group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true),
            ResourceDescriptor(
                group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true),
        ]

        @Test func operatorKilledAtRandomMomentsLeavesTheWorldOfOneUninterruptedRun() async throws {
            // Replay a failure with RINGMASTER_CHAOS_SEED=<the printed seed>.
            let seed = ProcessInfo.processInfo.environment["RINGMASTER_CHAOS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
            print("operator chaos: seed \(seed) (replay with RINGMASTER_CHAOS_SEED=\(seed))")
            var random = SplitMix64(seed: seed)
            let cluster = try await EndToEndCluster.start()
            do {
                var current = try cluster.startOperator()
                // 6 epochs of 93 steps: some 10 s of training here.
                let epochs = 6
                let totalSteps = epochs * (3000 / 32)
                let job = FaultJobs.small(name: "chaos", epochs: epochs, trainLimit: 3000)
                let name = try await cluster.submit(job)
                let watch = ProgressWatch(cluster: cluster, job: name)

                /// Kills the operator after a random delay drawn from `delay`
                /// (watching the job meanwhile), and starts a new one after another.
                func killAndRestart(_ moment: String, delay: ClosedRange<Double>) async throws {
                    try await watch.sample(for: .seconds(Double.random(in: delay, using: &random)))
                    let status = try await cluster.job(name).status
                    current.signal(SIGKILL)
                    print("operator chaos (seed \(seed)): killed the operator \(moment): phase \(status?.phase?.rawValue ?? "none"), step \(status?.progress?.step ?? 0)")
                    try await watch.sample(for: .seconds(Double.random(in: 0.1...1.0, using: &random)))
                    current = try cluster.startOperator()
                }
                /// Waits until the job has passed `step` (or finished).
                func reach(_ step: Int) async throws {
                    try await watch.wait("step \(step)") { job in
                        (job.status?.progress?.step ?? 0) >= step || (job.status?.phase?.isFinished ?? false)
                    }
                }

                // Job creation: the operator may not even have seen the job.
                try await killAndRestart("just after the job was created", delay: 0...0.6)
                // Child creation.
                try await watch.wait("a worker pod") { _ in try await !cluster.workerPods(name).isEmpty }
                try await killAndRestart("while the children are created", delay: 0...0.5)
                // Running: early and half-way.
                try await reach(1)
                let runningPods = try await cluster.workerPods(name).mapValues { $0.metadata.uid ?? "" }
                try await killAndRestart("early in training", delay: 0...1.5)
                try await reach(totalSteps * 2 / 5)
                try await killAndRestart("half-way through training", delay: 0...1)
                // Finishing: about a second before the last step, or a little after.
                try await reach(totalSteps - 40)
                try await killAndRestart("as the job finishes", delay: 0...1.5)

                let done = try await watch.wait("Succeeded", timeout: .seconds(120)) { $0.status?.phase == .succeeded }
                let status = try #require(done.status)
                // An operator crash is not a ring failure.
                #expect(status.restartCount ?? 0 == 0, "seed \(seed): \(cluster.describe(done))")
                #expect(status.workers?.succeeded == 2, "seed \(seed): \(cluster.describe(done))")
                #expect(watch.regressions.isEmpty, "seed \(seed): progress went back: \(watch.regressions)")
                // The pods that were training are the ones that finished: never recreated.
                let finalPods = try await cluster.workerPods(name).mapValues { $0.metadata.uid ?? "" }
                #expect(finalPods == runningPods, "seed \(seed)")
                let metrics = try cluster.artifactMetrics(done)
                #expect(metrics["resumedFromStep"] is NSNull, "seed \(seed): the ring never restarted: \(metrics)")
                let chaosWorld = try await world(of: done, cluster: cluster)

                // The same job, run once by an operator that is left alone.
                let reference = try await cluster.submit(job.replacingOccurrences(of: "name: chaos", with: "name: calm"))
                let calm = try await cluster.waitForJob(reference, timeout: .seconds(120), "Succeeded") { $0.status?.phase == .succeeded }
                let calmWorld = try await world(of: calm, cluster: cluster)
                #expect(chaosWorld.count >= 6, "seed \(seed): \(chaosWorld)")
                #expect(chaosWorld == calmWorld, "seed \(seed)")
            } catch {
                Issue.record("seed \(seed): \(error)\n\(cluster.logs())")
            }
            await cluster.shutdown()
        }

        /// Every child kind's objects that belong to `job` (by name or by
        /// owner), as `kind name -> owners`, the job's name written `<job>`.
        /// Records an issue for any such object not owned by exactly this job.
        private func world(of job: TrainingJob, cluster: EndToEndCluster) async throws -> [String] {
            let name = try #require(job.metadata.name)
            let uid = try #require(job.metadata.uid)
            var lines: [String] = []
            for kind in Self.childKinds {
                let objects = try await cluster.client.unstructured(kind).list(in: .namespace("default")).items
                for object in objects {
                    let meta = object.metadata
                    let owners = meta.ownerReferences ?? []
                    guard (meta.name ?? "").hasPrefix(name + "-") || meta.name == name || owners.contains(where: { $0.uid == uid })
                    else { continue }
                    // Owned by exactly this job, or (a retained claim) by nothing.
                    #expect(owners.isEmpty || (owners.count == 1 && owners.first?.uid == uid && owners.first?.controller == true),
                            "\(kind.kind) \(meta.name ?? "") is not owned by exactly \(name) (\(uid)): \(owners)")
                    #expect(meta.deletionTimestamp == nil, "\(kind.kind) \(meta.name ?? "") is being deleted")
                    let generic = { (text: String) in text == name ? "<job>" : text.replacingOccurrences(of: name + "-", with: "<job>-") }
                    let ownerText = owners.map { "\($0.kind)/\(generic($0.name)) controller=\($0.controller ?? false)" }
                    lines.append("\(kind.kind) \(generic(meta.name ?? "")) owned by \(ownerText)")
                }
            }
            return lines.sorted()
        }
    }
}

/// Samples a job's status while a test waits, so that a test can say
/// whether `status.progress.step` ever went back.
final class ProgressWatch: @unchecked Sendable {
    let cluster: EndToEndCluster
    let job: String
    /// Every drop seen: (from, to).
    private(set) var regressions: [(Int, Int)] = []
    private var highest = 0

    init(cluster: EndToEndCluster, job: String) {
        self.cluster = cluster
        self.job = job
    }

    /// Reads the job once and records its step; nil when it cannot be read.
    private func observe() async -> TrainingJob? {
        guard let job = try? await cluster.job(job) else { return nil }
        if let step = job.status?.progress?.step {
            if step < highest { regressions.append((highest, step)) }
            highest = max(highest, step)
        }
        return job
    }

    /// Watches the job for `duration`, sampling every 100 ms.
    func sample(for duration: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + duration
        repeat {
            _ = await observe()
            try await Task.sleep(for: min(.milliseconds(100), max(.zero, deadline - clock.now)))
        } while clock.now < deadline
    }

    /// Samples every 100 ms until `condition` holds for the job and returns
    /// it; throws when `timeout` passes first.
    @discardableResult
    func wait(
        _ what: String, timeout: Duration = .seconds(90), until condition: (TrainingJob) async throws -> Bool
    ) async throws -> TrainingJob {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var last: TrainingJob?
        while clock.now < deadline {
            if let job = await observe() {
                last = job
                if try await condition(job) { return job }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EndToEndError("timed out after \(timeout) waiting for \(what): \(last.map(cluster.describe) ?? "no job")")
    }
}
