import Foundation
import KubeClient
import LocalCluster
import RingmasterTesting
import Testing
import TrainingJobAPI
import TrainingJobController

/// A bring-your-own trainer (a shell script standing for any program) that
/// only appends JSON lines to `RINGMASTER_PROGRESS_FILE`: the progress
/// sidecar beside rank 0 puts them in the job's status, while it trains and
/// at its end, and `kubectl get tj` shows them.
@Suite(.serialized) struct OperatorProgressSidecarTests {
    /// Rank 0 writes progress, a malformed line, a checkpoint, waits for the
    /// test to release it, then writes its final line without a newline.
    static let trainerScript = #"""
        f="$RINGMASTER_PROGRESS_FILE"
        [ -n "$f" ] || exit 0
        printf '{"epoch": 1, "total_epochs": 2, "step": 10, "loss": 0.9, "accuracy": 0.5}\n' >> "$f"
        printf 'this is not json\n' >> "$f"
        printf '{"checkpoint": "/var/lib/ringmaster/checkpoints/epoch-1.pt", "epoch": 1, "step": 10}\n' >> "$f"
        printf '{"epoch": 2, "step": 20, "loss": 0.25, "accuracy": 0.875, "samples_per_second": 1500.5}\n' >> "$f"
        while [ ! -f "$RELEASE_FILE" ]; do sleep 0.05; done
        printf '{"artifact": "/var/lib/ringmaster/artifacts/model.safetensors", "metrics": {"test_accuracy": 0.8125, "test_loss": 0.5}}' >> "$f"
        """#

    @Test func aTrainersProgressLinesReachTheStatusWhileItRunsAndAtItsEnd() async throws {
        let harness = try await OperatorHarness.start()
        do {
            var spec = TrainingJobSpec(workers: 2)
            spec.image = OperatorHarness.shellTrainerImage
            spec.args = ["-c", Self.trainerScript]
            spec.runPolicy.backoffLimit = 0
            spec.template = PodTemplateOverlay(env: [
                EnvVar(name: "RELEASE_FILE", value: WorkerLayout.storageMountPath + "/release"),
            ])
            try await harness.create(TrainingJob(metadata: ObjectMeta(name: "byo", namespace: "default"), spec: spec))

            // While the trainer runs (it waits for the release): progress and checkpoint.
            let running = try await harness.waitFor("byo", timeout: .seconds(60), "epoch 2 reported while running") {
                $0?.status?.progress?.epoch == 2 && $0?.status?.checkpoint != nil
            }
            let progress = try #require(running?.status?.progress)
            #expect(progress.totalEpochs == 2)
            #expect(progress.step == 20)
            #expect(progress.loss == 0.25)
            #expect(progress.accuracy == 0.875)
            #expect(progress.samplesPerSecond == 1500.5)
            #expect(progress.lastUpdateTime != nil)
            #expect(running?.status?.checkpoint?.path == "/var/lib/ringmaster/checkpoints/epoch-1.pt")
            #expect(running?.status?.checkpoint?.step == 10)
            #expect(running?.status?.metrics == nil)
            let pods = try await harness.pods(of: "byo")
            let rank0 = try #require(pods.first { $0.metadata.name == "byo-worker-0" })
            #expect(rank0.status?.phase == "Running")
            #expect(rank0.status?.initContainerStatuses?.first?.name == "progress")
            #expect(rank0.status?.initContainerStatuses?.first?.started == true)
            #expect(pods.first { $0.metadata.name == "byo-worker-1" }?.spec?.initContainers == nil)

            // EPOCH, LOSS and ACCURACY in kubectl's default columns.
            let kubectl = try ExternalTools.kubectl()
            let table = try await ProcessRunner.run(
                kubectl, ["get", "tj", "byo", "-n", "default"], environment: harness.cluster.kubectlEnvironment, timeout: .seconds(30))
            #expect(table.status == 0, "\(table.combinedOutput)")
            let rows = table.standardOutput.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            let header = try #require(rows.first)
            let row = try #require(rows.dropFirst().first)
            let columns = Dictionary(uniqueKeysWithValues: zip(header, row))
            #expect(columns["EPOCH"] == "2")
            #expect(columns["LOSS"] == "0.2500")
            #expect(columns["ACCURACY"] == "87.50%")
            // Programs still read the numbers.
            #expect(progress.lossDisplay == "0.2500" && progress.accuracyDisplay == "87.50%")

            // The last line, without its newline, is read when the sidecar stops.
            try harness.releaseFile("byo", named: "release")
            let done = try await harness.waitFor("byo", timeout: .seconds(60), "Succeeded with metrics") {
                $0?.status?.phase == .failed || ($0?.status?.phase == .succeeded && $0?.status?.metrics != nil)
            }
            let status = try #require(done?.status)
            #expect(status.phase == .succeeded, "\(status)")
            #expect(status.metrics == TrainingMetrics(testAccuracy: 0.8125, testLoss: 0.5))
            #expect(status.artifact?.path == "/var/lib/ringmaster/artifacts/model.safetensors")
            #expect(status.progress?.epoch == 2)
            let log = try await harness.client.pods.logs("byo-worker-0", in: "default", options: PodLogOptions(container: "progress"))
            #expect(log.contains("skipped line 2 of"), "\(log)")
            #expect(log.contains("not JSON"), "\(log)")
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }
}
