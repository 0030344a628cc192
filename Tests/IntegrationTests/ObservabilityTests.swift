import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KubeClient
import RingmasterTesting
import Testing
import TrainingJobAPI

/// The operator's `/metrics` on a real local cluster, read during and after
/// a job: the per-job series equal the job's status, a deleted job's series
/// go, and the chart's Grafana dashboard and PrometheusRule hold up against
/// the same scrape (every metric a query names exists; promtool parses and
/// unit-tests every alert). `kubectl get tj` shows the rounded columns.
@Suite(.serialized) struct ObservabilityTests {
    /// One sample line of the Prometheus text format.
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    static func parse(_ text: String) throws -> [Sample] {
        let labelPattern = try Regex(#"([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)""#)
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            guard let space = line.lastIndex(of: " ") else { throw EndToEndError("not a sample line: \(line)") }
            let series = line[..<space]
            let valueText = line[line.index(after: space)...]
            let value: Double? = switch valueText {
            case "+Inf": Double.infinity
            case "-Inf": -Double.infinity
            case "NaN": Double.nan
            default: Double(valueText)
            }
            guard let value else { throw EndToEndError("not a sample value: \(line)") }
            var labels: [String: String] = [:]
            var name = series
            if let open = series.firstIndex(of: "{") {
                name = series[..<open]
                for match in series[open...].matches(of: labelPattern) {
                    let raw = String(match.output[2].substring ?? "")
                    labels[String(match.output[1].substring ?? "")] = raw
                        .replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\n", with: "\n")
                        .replacingOccurrences(of: "\\\\", with: "\\")
                }
            }
            samples.append(Sample(name: String(name), labels: labels, value: value))
        }
        return samples
    }

    /// The operator's `/metrics` endpoint on a port it picked (its log names it).
    struct Endpoint {
        var url: String

        static func find(in process: ChildProcess, timeout: Duration = .seconds(60)) async throws -> Endpoint {
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            let pattern = try Regex(#"address=127\.0\.0\.1:([0-9]+)"#)
            while clock.now < deadline {
                let log = (try? String(contentsOf: process.logURL, encoding: .utf8)) ?? ""
                if let match = log.firstMatch(of: pattern), let port = match.output[1].substring {
                    return Endpoint(url: "http://127.0.0.1:\(port)/metrics")
                }
                guard process.isRunning else { throw EndToEndError("the operator exited: \(process.logTail())") }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw EndToEndError("the operator never said where it serves /metrics: \(process.logTail())")
        }

        func scrape() async throws -> String {
            let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
            guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw EndToEndError("GET \(url) answered \(response)") }
            return String(decoding: data, as: UTF8.self)
        }

        /// Scrapes until `condition` holds for the samples (the operator's
        /// cache follows the API server a moment behind); returns that scrape.
        func scrape(
            until what: String, timeout: Duration = .seconds(60), _ condition: ([Sample]) -> Bool
        ) async throws -> (text: String, samples: [Sample]) {
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            var last = ""
            while clock.now < deadline {
                last = try await scrape()
                let samples = try ObservabilityTests.parse(last)
                if condition(samples) { return (last, samples) }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw EndToEndError("timed out after \(timeout) waiting for \(what); last scrape:\n\(last)")
        }
    }

    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }

    static let job = "observed"
    static let jobLabels = ["namespace": "default", "trainingjob": job]

    /// The per-job values the scrape must show for `job`'s status.
    static func expectedSeries(_ job: TrainingJob) -> [String: Double] {
        let status = job.status
        var expected: [String: Double] = [
            "ringmaster_trainingjob_restarts_total": Double(status?.restartCount ?? 0),
            "ringmaster_trainingjob_workers_ready": Double(status?.workers?.ready ?? 0),
            "ringmaster_trainingjob_workers_desired": Double(job.spec.workers),
        ]
        let progress = status?.progress
        expected["ringmaster_trainingjob_epoch"] = progress?.epoch.map(Double.init)
        expected["ringmaster_trainingjob_epochs"] = progress?.totalEpochs.map(Double.init)
        expected["ringmaster_trainingjob_step"] = progress?.step.map(Double.init)
        expected["ringmaster_trainingjob_training_loss"] = progress?.loss
        expected["ringmaster_trainingjob_training_accuracy_ratio"] = progress?.accuracy
        expected["ringmaster_trainingjob_samples_per_second"] = progress?.samplesPerSecond
        expected["ringmaster_trainingjob_last_progress_timestamp_seconds"] =
            progress?.lastUpdateTime.flatMap(RFC3339.parse)?.timeIntervalSince1970
        expected["ringmaster_trainingjob_test_accuracy_ratio"] = status?.metrics?.testAccuracy
        return expected
    }

    /// Whether the scrape shows `job`'s phase and every value of its status.
    static func matches(_ samples: [Sample], _ job: TrainingJob) -> Bool {
        let phase = job.status?.phase ?? .pending
        for known in TrainingJobPhase.knownValues {
            let labels = jobLabels.merging(["phase": known.rawValue]) { $1 }
            if value(samples, "ringmaster_trainingjob_status_phase", labels) != (known == phase ? 1 : 0) { return false }
        }
        for (name, expected) in expectedSeries(job) where value(samples, name, jobLabels) != expected { return false }
        return true
    }

    @Test func aScrapeShowsTheJobAsItsStatusSaysAndTheDashboardAndAlertsHoldAgainstIt() async throws {
        let cluster = try await EndToEndCluster.start()
        do {
            let operatorProcess = try cluster.startOperator(extraArguments: [
                "--metrics-bind-address", "127.0.0.1:0", "--leader-elect", "--leader-election-namespace", "default",
            ])
            let endpoint = try await Endpoint.find(in: operatorProcess)

            // Before any job: controller-runtime's series, at zero, once the operator leads.
            let idle = try await endpoint.scrape(until: "the controller's series") { samples in
                Self.value(samples, "leader_election_master_status") == 1
                    && Self.value(samples, "controller_runtime_reconcile_total", ["controller": "trainingjob", "result": "success"]) != nil
            }
            for result in ["success", "error", "requeue", "requeue_after"] {
                #expect(Self.value(idle.samples, "controller_runtime_reconcile_total", ["controller": "trainingjob", "result": result]) == 0)
            }
            #expect(Self.value(idle.samples, "controller_runtime_reconcile_errors_total", ["controller": "trainingjob"]) == 0)
            #expect(Self.value(idle.samples, "controller_runtime_max_concurrent_reconciles", ["controller": "trainingjob"]) == 2)
            #expect(!idle.samples.contains { $0.name.hasPrefix("ringmaster_trainingjob_") })

            // During: held after step 5, so the status stays put while we look.
            _ = try await cluster.submit(FaultJobs.small(name: Self.job, epochs: 2, trainLimit: 1000, holdAfterStep: 5))
            let held = try await cluster.waitForJob(Self.job, timeout: .seconds(180), "held at step 5", until: FaultJobs.held(atStep: 5))
            let progress = try #require(held.status?.progress)
            #expect(progress.loss != nil && progress.accuracy != nil && progress.epoch == 1)
            let during = try await endpoint.scrape(until: "the held job's status") { Self.matches($0, held) }
            let age = try #require(Self.value(during.samples, "ringmaster_trainingjob_progress_age_seconds", Self.jobLabels))
            #expect(age >= 0)
            #expect(Self.value(during.samples, "ringmaster_trainingjobs_created_total", ["namespace": "default"]) == 1)
            #expect(Self.value(during.samples, "ringmaster_trainingjobs_failed_total", ["namespace": "default"]) == 0)
            #expect(Self.value(during.samples, "ringmaster_trainingjob_time_to_running_seconds_count", ["namespace": "default"]) == 1)
            for sample in during.samples where sample.name.hasPrefix("ringmaster_trainingjob_") && sample.labels["trainingjob"] != nil {
                #expect(Set(sample.labels.keys).isSubset(of: ["namespace", "trainingjob", "phase"]), "labels of \(sample)")
            }

            // The columns people read, the numbers programs read.
            let kubectl = try ExternalTools.kubectl()
            let environment = ["KUBECONFIG": cluster.kubeconfigPath]
            let table = try await ProcessRunner.run(kubectl, ["get", "tj", Self.job, "-n", "default"], environment: environment, timeout: .seconds(30))
            #expect(table.status == 0, "\(table.combinedOutput)")
            let rows = table.standardOutput.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            let columns = Dictionary(uniqueKeysWithValues: zip(try #require(rows.first), try #require(rows.dropFirst().first)))
            let loss = try #require(progress.loss)
            let accuracy = try #require(progress.accuracy)
            #expect(columns["LOSS"] == TrainingProgress.fourSignificantDigits(loss), "\(table.standardOutput)")
            #expect(columns["ACCURACY"] == String(format: "%.2f%%", accuracy * 100), "\(table.standardOutput)")
            let exact = try await ProcessRunner.run(
                kubectl, ["get", "tj", Self.job, "-n", "default", "-o", "jsonpath={.status.progress.loss} {.status.progress.accuracy}"],
                environment: environment, timeout: .seconds(30))
            let numbers = exact.standardOutput.split(separator: " ").compactMap { Double($0) }
            #expect(numbers == [loss, accuracy], "\(exact.combinedOutput)")
            print("kubectl get tj while held:\n\(table.standardOutput)")
            // `kubectl get tj -w` prints the same columns.
            let watchLog = cluster.dataDirectory.appendingPathComponent("kubectl-watch.log")
            let watch = try ChildProcess.start(kubectl, ["--kubeconfig", cluster.kubeconfigPath, "get", "tj", "-n", "default", "-w"], log: watchLog)
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            var watched: [[String]] = []
            while clock.now < deadline && watched.count < 2 {
                try await Task.sleep(for: .milliseconds(200))
                watched = ((try? String(contentsOf: watchLog, encoding: .utf8)) ?? "").split(separator: "\n")
                    .map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            }
            await watch.stop()
            #expect(watched.count >= 2, "kubectl get -w printed: \(watched)")
            if watched.count >= 2 {
                let row = Dictionary(uniqueKeysWithValues: zip(watched[0], watched[1]))
                #expect(row["LOSS"] == columns["LOSS"] && row["ACCURACY"] == columns["ACCURACY"], "\(watched)")
            }

            // After: Succeeded, with its test accuracy, and no progress age.
            try cluster.releaseHold(Self.job)
            let done = try await cluster.waitForJob(Self.job, timeout: .seconds(300), "Succeeded with metrics") {
                $0.status?.phase == .succeeded && $0.status?.metrics?.testAccuracy != nil
            }
            // The per-job series come from the informer's copy of the status, which can arrive before the
            // reconcile that wrote it has counted the outcome: wait for both, then check every value.
            let after = try await endpoint.scrape(until: "the finished job's status and its outcome counted") { samples in
                Self.matches(samples, done)
                    && (Self.value(samples, "ringmaster_trainingjobs_succeeded_total", ["namespace": "default"]) ?? 0) > 0
                    && Self.value(samples, "ringmaster_trainingjob_restarts_at_completion_count", ["namespace": "default"]) != nil
                    && Self.value(samples, "ringmaster_trainingjob_time_to_completion_seconds_count",
                                  ["namespace": "default", "phase": "Succeeded"]) != nil
            }
            #expect(Self.value(after.samples, "ringmaster_trainingjob_test_accuracy_ratio", Self.jobLabels) == done.status?.metrics?.testAccuracy)
            #expect(Self.value(after.samples, "ringmaster_trainingjob_progress_age_seconds", Self.jobLabels) == nil)
            #expect(Self.value(after.samples, "ringmaster_trainingjobs_succeeded_total", ["namespace": "default"]) == 1)
            #expect(Self.value(after.samples, "ringmaster_trainingjob_time_to_completion_seconds_count",
                               ["namespace": "default", "phase": "Succeeded"]) == 1)
            #expect(Self.value(after.samples, "ringmaster_trainingjob_restarts_at_completion_count", ["namespace": "default"]) == 1)

            // The chart's dashboard and alerts, against the scrapes during and after the job.
            let report = try await Self.checkDashboardAndRules(scrape: during.text, later: after.text)
            #expect((report["errors"] as? [String]) == [], "\(report["errors"] ?? "no report")")
            #expect((report["alerts"] as? [String])?.count == 6, "\(report)")
            #expect(((report["dashboardQueries"] as? Int) ?? 0) >= 20, "\(report)")

            // Deleted: its series go; the namespace's counters stay.
            let delete = try await ProcessRunner.run(kubectl, ["delete", "tj", Self.job, "-n", "default"], environment: environment, timeout: .seconds(60))
            #expect(delete.status == 0, "\(delete.combinedOutput)")
            let gone = try await endpoint.scrape(until: "the deleted job's series to go") { samples in
                !samples.contains { $0.labels["trainingjob"] == Self.job }
            }
            #expect(Self.value(gone.samples, "ringmaster_trainingjobs_succeeded_total", ["namespace": "default"]) == 1)
            #expect(gone.text.contains("# TYPE ringmaster_trainingjob_status_phase gauge"))
        } catch {
            print(cluster.logs())
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    /// Runs Tests/tools/observability_check.py over `scrape` (a Running
    /// job's) and `later` (once it ended), the chart's dashboard and its
    /// PrometheusRule as `helm template` renders it.
    static func checkDashboardAndRules(scrape: String, later: String) async throws -> [String: Any] {
        let root = ExternalTools.packageRoot
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-observability-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scrapeFile = directory.appendingPathComponent("scrape.txt")
        try scrape.write(to: scrapeFile, atomically: true, encoding: .utf8)
        let laterFile = directory.appendingPathComponent("later-scrape.txt")
        try later.write(to: laterFile, atomically: true, encoding: .utf8)
        let rendered = try await ChartRendering.helm([
            "template", "ringmaster", root.appendingPathComponent("charts/ringmaster").path, "--namespace", "ringmaster-system",
            "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.prometheusRule.enabled=true",
            "--show-only", "templates/prometheusrule.yaml",
        ])
        guard rendered.status == 0 else { throw EndToEndError("helm template: \(rendered.combinedOutput)") }
        let rulesFile = directory.appendingPathComponent("prometheusrule.yaml")
        try rendered.standardOutput.write(to: rulesFile, atomically: true, encoding: .utf8)
        let result = try await ProcessRunner.run(try ExternalTools.python(), [
            root.appendingPathComponent("Tests/tools/observability_check.py").path,
            "--scrape", scrapeFile.path, "--later-scrape", laterFile.path,
            "--dashboard", root.appendingPathComponent("charts/ringmaster/dashboards/ringmaster.json").path,
            "--rules", rulesFile.path, "--promtool", try ExternalTools.promtool(),
            "--job", "ringmaster", "--namespace", "ringmaster-system", "--trainingjob", "default/\(job)",
        ], timeout: .seconds(120))
        guard let report = try? JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any] else {
            throw EndToEndError("observability_check.py: \(result.combinedOutput)")
        }
        return report
    }
}
