import ControllerRuntime
import Foundation
import KubeClient
import Testing
import TrainingJobAPI
@testable import TrainingJobController

/// The per-job series, written from the jobs in a cache.
@Suite struct StatusMetricsTests {
    /// `name{labels}` -> value, from the collector's text.
    static func samples(_ collector: TrainingJobStatusMetrics) -> [String: Double] {
        var writer = PrometheusTextWriter()
        collector.collect(into: &writer)
        var samples: [String: Double] = [:]
        for line in String(decoding: writer.bytes, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            samples[String(parts[0])] = Double(parts[1])
        }
        return samples
    }

    static func running(_ name: String) -> TrainingJob {
        var status = Fixtures.status(.running, restartCount: 2, since: 10, progress: TrainingProgress(
            epoch: 3, totalEpochs: 5, step: 420, loss: 0.42996568364255566, accuracy: 0.8488051470588235,
            samplesPerSecond: 1234.5, lastUpdateTime: Fixtures.time(100)))
        status.workers = WorkerCounts(active: 2, ready: 2)
        return Fixtures.job(name: name, status: status)
    }

    @Test func aRunningJobHasEverySeriesOfItsStatus() {
        let store = ObjectStore<TrainingJob>()
        _ = store.upsert(Self.running("mnist"))
        let clock = ManualClock(wallOrigin: Fixtures.at(130))
        let samples = Self.samples(TrainingJobStatusMetrics(jobs: store, clock: clock))
        let job = #"namespace="ml",trainingjob="mnist""#
        for phase in TrainingJobPhase.knownValues {
            #expect(samples[#"ringmaster_trainingjob_status_phase{\#(job),phase="\#(phase.rawValue)"}"#] == (phase == .running ? 1 : 0))
        }
        #expect(samples["ringmaster_trainingjob_restarts_total{\(job)}"] == 2)
        #expect(samples["ringmaster_trainingjob_workers_ready{\(job)}"] == 2)
        #expect(samples["ringmaster_trainingjob_workers_desired{\(job)}"] == 2)
        #expect(samples["ringmaster_trainingjob_epoch{\(job)}"] == 3)
        #expect(samples["ringmaster_trainingjob_epochs{\(job)}"] == 5)
        #expect(samples["ringmaster_trainingjob_step{\(job)}"] == 420)
        // Full precision for programs.
        #expect(samples["ringmaster_trainingjob_training_loss{\(job)}"] == 0.42996568364255566)
        #expect(samples["ringmaster_trainingjob_training_accuracy_ratio{\(job)}"] == 0.8488051470588235)
        #expect(samples["ringmaster_trainingjob_samples_per_second{\(job)}"] == 1234.5)
        #expect(samples["ringmaster_trainingjob_last_progress_timestamp_seconds{\(job)}"] == Fixtures.at(100).timeIntervalSince1970)
        #expect(samples["ringmaster_trainingjob_progress_age_seconds{\(job)}"] == 30)
        #expect(samples["ringmaster_trainingjob_test_accuracy_ratio{\(job)}"] == nil, "no final metrics yet")
        #expect(samples.count == 6 + 11)
    }

    @Test func aNewJobIsPendingAndAFinishedOneHasItsTestAccuracyButNoAge() {
        let store = ObjectStore<TrainingJob>()
        _ = store.upsert(Fixtures.job(name: "new"))
        var done = Self.running("done")
        done.status?.setPhase(.succeeded, reason: "Test", message: "done", now: Fixtures.time(200))
        done.status?.metrics = TrainingMetrics(testAccuracy: 0.9003)
        _ = store.upsert(done)
        let samples = Self.samples(TrainingJobStatusMetrics(jobs: store, clock: ManualClock(wallOrigin: Fixtures.at(500))))
        #expect(samples[#"ringmaster_trainingjob_status_phase{namespace="ml",trainingjob="new",phase="Pending"}"#] == 1)
        #expect(samples[#"ringmaster_trainingjob_restarts_total{namespace="ml",trainingjob="new"}"#] == 0)
        #expect(samples[#"ringmaster_trainingjob_epoch{namespace="ml",trainingjob="new"}"#] == nil)
        #expect(samples[#"ringmaster_trainingjob_status_phase{namespace="ml",trainingjob="done",phase="Succeeded"}"#] == 1)
        #expect(samples[#"ringmaster_trainingjob_status_phase{namespace="ml",trainingjob="done",phase="Running"}"#] == 0)
        #expect(samples[#"ringmaster_trainingjob_test_accuracy_ratio{namespace="ml",trainingjob="done"}"#] == 0.9003)
        #expect(samples[#"ringmaster_trainingjob_progress_age_seconds{namespace="ml",trainingjob="done"}"#] == nil)
    }

    @Test func aDeletedJobsSeriesAreGone() {
        let store = ObjectStore<TrainingJob>()
        _ = store.upsert(Self.running("kept"))
        _ = store.upsert(Self.running("deleted"))
        let collector = TrainingJobStatusMetrics(jobs: store, clock: ManualClock(wallOrigin: Fixtures.at(130)))
        #expect(Self.samples(collector).keys.contains { $0.contains(#"trainingjob="deleted""#) })
        _ = store.remove(ObjectKey(namespace: "ml", name: "deleted"))
        let after = Self.samples(collector)
        #expect(!after.keys.contains { $0.contains(#"trainingjob="deleted""#) })
        #expect(after.keys.filter { $0.contains(#"trainingjob="kept""#) }.count == 17)
    }

    @Test func everyFamilyHasHelpAndTypeOnceEvenWithoutJobs() {
        var writer = PrometheusTextWriter()
        TrainingJobStatusMetrics(jobs: ObjectStore<TrainingJob>()).collect(into: &writer)
        let lines = String(decoding: writer.bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("# TYPE ") }.count == TrainingJobStatusMetrics.families.count)
        #expect(lines.filter { $0.hasPrefix("# HELP ") }.count == TrainingJobStatusMetrics.families.count)
        for family in TrainingJobStatusMetrics.families {
            #expect(family.name.hasPrefix("ringmaster_trainingjob_"))
            #expect(family.name.hasSuffix("_total") == (family.type == .counter), "\(family.name)")
        }
    }
}
