import Foundation
import KubeClient
import LocalCluster
import RingmasterTesting
import Testing
import TrainingJobAPI
import TrainingJobController

/// The PyTorch example (examples/pytorch-ddp/train.py) as a bring-your-own
/// trainer: real torch under real `torchrun`, in worker Pods that run in
/// namespaces of their own on the local cluster, with the real operator.
@Suite(.serialized) struct PyTorchJobTests {
    static let script = ExternalTools.packageRoot.appendingPathComponent("examples/pytorch-ddp/train.py").path
    static let venvBin = ExternalTools.packageRoot.appendingPathComponent(".tools/venv/bin").path

    /// The example's TrainingJob (trainingjob.yaml), on a small subset so that
    /// a run takes seconds of training; `torchrun: false` runs the script
    /// directly, one process per worker, with the operator's RANK and WORLD_SIZE.
    static func job(
        _ name: String, workers: Int = 2, processesPerWorker: Int = 1, epochs: Int = 1, torchrun: Bool = true,
        env: [EnvVar] = [], rules: [FailurePolicyRule] = []
    ) -> TrainingJob {
        var spec = TrainingJobSpec(workers: workers, processesPerWorker: processesPerWorker)
        spec.image = OperatorHarness.pytorchImage
        let trainer = [
            script, "--data=/usr/share/datasets/fashion-mnist", "--epochs=\(epochs)", "--batch-size=32",
            "--train-limit=1024", "--test-limit=256", "--threads=1",
        ]
        if torchrun {
            spec.command = ["torchrun"]
            spec.args = [
                "--nnodes=$(PET_NNODES)", "--nproc-per-node=$(PET_NPROC_PER_NODE)", "--node-rank=$(PET_NODE_RANK)",
                "--master-addr=$(MASTER_ADDR)", "--master-port=$(MASTER_PORT)",
            ] + trainer
        } else {
            spec.command = ["python3"]
            spec.args = trainer
        }
        spec.resources = ResourceRequirements(requests: ["cpu": "100m", "memory": "256Mi"])
        spec.runPolicy.restartBackoffSeconds = 1
        spec.runPolicy.cleanPodPolicy = .none  // keep every worker's log for the assertions
        if !rules.isEmpty { spec.runPolicy.failurePolicy = FailurePolicySpec(rules: rules) }
        spec.template = PodTemplateOverlay(env: [
            EnvVar(name: "PATH", value: "\(venvBin):/usr/local/bin:/usr/bin:/bin"),
            EnvVar(name: "OMP_NUM_THREADS", value: "1"),
        ] + env)
        return TrainingJob(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec)
    }

    static func finished(_ job: TrainingJob?) -> Bool {
        job?.status?.phase == .succeeded || job?.status?.phase == .failed
    }

    /// The logs of every worker Pod of `job`, for failure messages.
    static func logs(_ harness: OperatorHarness, _ job: String) async -> String {
        var text = ""
        for pod in (try? await harness.pods(of: job)) ?? [] {
            let name = pod.metadata.name ?? ""
            let log = (try? await harness.client.pods.logs(name, in: "default", options: PodLogOptions(container: "worker"))) ?? "(no log)"
            text += "--- \(name)\n\(log)\n"
        }
        return text
    }

    func claimDirectory(_ harness: OperatorHarness, _ job: String) throws -> URL {
        try Layout(dataDirectory: harness.cluster.dataDirectory).volumeDirectory(namespace: "default", claim: "\(job)-storage")
    }

    @Test func twoJobsOnOnePortSucceedWithMetricsAndAModelThatSafetensorsOpens() async throws {
        try await OperatorHarness.with { harness in
            // Both jobs rendezvous on MASTER_PORT 29500, each on its own worker 0.
            try await harness.create(Self.job("ddp-a"))
            try await harness.create(Self.job("ddp-b"))
            for name in ["ddp-a", "ddp-b"] {
                let done = try await harness.waitFor(name, timeout: .seconds(600), "\(name) finished", until: Self.finished)
                let logs = await Self.logs(harness, name)
                #expect(done?.status?.phase == .succeeded, "\(logs)")
                let status = try #require(done?.status)
                #expect(status.restartCount == 0)
                let accuracy = try #require(status.metrics?.testAccuracy, "status.metrics: \(String(describing: status.metrics))")
                #expect(accuracy > 0.3, "test accuracy \(accuracy) is not above chance (0.1)")
                #expect(status.progress?.epoch == 1)
                #expect(status.artifact != nil)
                #expect(status.checkpoint != nil)
                let pods = try await harness.pods(of: name)
                #expect(Set(pods.compactMap { $0.spec?.containers.first?.env?.first { $0.name == "MASTER_PORT" }?.value }) == ["29500"])
            }
            // The model, read by the real safetensors package.
            let model = try claimDirectory(harness, "ddp-a").appendingPathComponent("artifacts/model.safetensors")
            let output = try await ProcessRunner.run(
                try ExternalTools.python(),
                ["-c", "import sys; from safetensors.numpy import load_file; t = load_file(sys.argv[1]); print(len(t), sum(v.size for v in t.values()))", model.path])
            let fields = output.standardOutput.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(fields.count == 2 && fields[0] > 0 && fields[1] > 1000, "safetensors: \(output.standardOutput) \(output.standardError)")
        }
    }

    @Test func twoProcessesPerWorkerOnTwoWorkersTrainWithWorldSizeFour() async throws {
        try await OperatorHarness.with { harness in
            try await harness.create(Self.job("ddp-four", processesPerWorker: 2))
            let done = try await harness.waitFor("ddp-four", timeout: .seconds(600), "ddp-four finished", until: Self.finished)
            let logs = await Self.logs(harness, "ddp-four")
            #expect(done?.status?.phase == .succeeded, "\(logs)")
            // train.py prefixes each line with [rank R/WORLD]: four global ranks over two Pods.
            for rank in 0..<4 { #expect(logs.contains("[rank \(rank)/4]"), "\(logs)") }
            #expect(!logs.contains("/2]"), "\(logs)")
        }
    }

    @Test func aWorkerThatDiesMidEpochRestartsTheGangFromTheLastCheckpoint() async throws {
        try await OperatorHarness.with { harness in
            // Global rank 1 exits with 1 in epoch 2, step 3, in the first attempt only: a crash mid-epoch.
            try await harness.create(Self.job(
                "ddp-crash", epochs: 2, env: [EnvVar(name: "TRAIN_FAULT", value: "rank=1,epoch=2,step=3,exit=1,attempt=0")]))
            let done = try await harness.waitFor("ddp-crash", timeout: .seconds(900), "ddp-crash finished", until: Self.finished)
            let logs = await Self.logs(harness, "ddp-crash")
            #expect(done?.status?.phase == .succeeded, "\(logs)")
            #expect(done?.status?.restartCount == 1, "\(logs)")
            // The restarted trainer says where it resumed: after epoch 1, checkpointed before the crash.
            #expect(logs.contains("resumed from checkpoint at epoch 1"), "\(logs)")
            #expect(done?.status?.progress?.epoch == 2)
        }
    }

    @Test func anExitCodeTheRulesMarkPermanentFailsTheJobWithoutRestarts() async throws {
        try await OperatorHarness.with { harness in
            // Without torchrun, so that the Pod exits with the trainer's own code
            // (torchrun exits 1 whatever its process's code was).
            try await harness.create(Self.job(
                "ddp-permanent", torchrun: false, env: [EnvVar(name: "TRAIN_FAULT", value: "rank=1,epoch=1,exit=42")],
                rules: [.exitCodes(.failJob, .in, [42])]))
            let done = try await harness.waitFor("ddp-permanent", timeout: .seconds(600), "ddp-permanent finished", until: Self.finished)
            let logs = await Self.logs(harness, "ddp-permanent")
            #expect(done?.status?.phase == .failed, "\(logs)")
            #expect(done?.status?.restartCount == 0)
            #expect(done?.status?.failure?.exitCode == 42)
            let failed = done?.status?.conditions.first { $0.type == "Failed" }
            #expect(failed?.reason == TrainingJobReason.failurePolicyRule, "\(String(describing: failed))")
        }
    }
}
