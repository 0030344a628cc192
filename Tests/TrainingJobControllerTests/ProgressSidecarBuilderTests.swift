import Foundation
import KubeClient
import Testing
import TrainingJobAPI
@testable import TrainingJobController

/// The progress sidecar in rank 0's Pod of a bring-your-own trainer.
@Suite struct ProgressSidecarBuilderTests {
    static func trainerJob(image: String = "registry.example.com/ml/pytorch-ddp:1.2") -> TrainingJob {
        var job = Fixtures.job(workers: 2)
        job.spec.image = image
        job.spec.command = ["torchrun"]
        return job
    }

    @Test func rankZeroOfABringYourOwnTrainerGetsTheSidecarTheVolumeAndTheVariable() throws {
        let settings = WorkerPodSettings(workerImage: "ghcr.io/acme/ringmaster-worker:7", progressIntervalSeconds: 2)
        let pod = WorkerPodBuilder.build(Self.trainerJob(), rank: 0, attempt: 0, settings: settings).pod
        let spec = try #require(pod.spec)
        let trainer = try #require(spec.containers.first)
        #expect(trainer.image == "registry.example.com/ml/pytorch-ddp:1.2")
        #expect(trainer.env?.first { $0.name == "RINGMASTER_PROGRESS_FILE" }?.value == "/var/run/ringmaster/progress/progress.jsonl")
        #expect(trainer.volumeMounts?.contains(VolumeMount(name: "progress", mountPath: "/var/run/ringmaster/progress")) == true)
        #expect(spec.volumes?.first { $0.name == "progress" }?.emptyDir != nil)

        let sidecar = try #require(spec.initContainers?.first)
        #expect(spec.initContainers?.count == 1)
        #expect(sidecar.name == "progress")
        #expect(sidecar.restartPolicy == "Always")
        #expect(sidecar.isSidecar)
        #expect(sidecar.image == "ghcr.io/acme/ringmaster-worker:7", "the operator's worker image")
        #expect(sidecar.command == nil, "the image's entry point, ringmaster-worker")
        #expect(sidecar.args == ["report-progress"])
        #expect(sidecar.volumeMounts == [VolumeMount(name: "progress", mountPath: "/var/run/ringmaster/progress")])
        var environment: [String: String] = [:]
        for variable in sidecar.env ?? [] { environment[variable.name] = variable.value }
        #expect(environment == [
            "RINGMASTER_JOB_NAME": "mnist", "RINGMASTER_JOB_NAMESPACE": "ml",
            "RINGMASTER_PROGRESS_INTERVAL_SECONDS": "2.0",
            "RINGMASTER_PROGRESS_FILE": "/var/run/ringmaster/progress/progress.jsonl",
        ])
        #expect(spec.serviceAccountName == "mnist-worker", "the sidecar reports with the workers' least privilege")
    }

    @Test func otherRanksGetNoSidecar() throws {
        let pod = WorkerPodBuilder.build(Self.trainerJob(), rank: 1, attempt: 0, settings: WorkerPodSettings()).pod
        #expect(pod.spec?.initContainers == nil)
        #expect(pod.spec?.volumes?.contains { $0.name == "progress" } == false)
        #expect(pod.spec?.containers.first?.env?.contains { $0.name == "RINGMASTER_PROGRESS_FILE" } == false)
    }

    @Test(arguments: [
        TrainingJobDefaults.image,
        "ghcr.io/ringmaster-dev/ringmaster-worker:0.0.1",
        "ghcr.io/ringmaster-dev/ringmaster-worker@sha256:0123456789abcdef",
        "ghcr.io/acme/ringmaster-worker:7",
        "ghcr.io/acme/ringmaster-worker",
    ])
    func theWorkerImageReportsItselfAndGetsNoSidecar(image: String) {
        let settings = WorkerPodSettings(workerImage: "ghcr.io/acme/ringmaster-worker:7")
        let pod = WorkerPodBuilder.build(Self.trainerJob(image: image), rank: 0, attempt: 0, settings: settings).pod
        #expect(pod.spec?.initContainers == nil)
        #expect(pod.spec?.containers.first?.env?.contains { $0.name == "RINGMASTER_PROGRESS_FILE" } == false)
    }

    @Test(arguments: [
        ("localhost:5000/ringmaster-worker-custom:1", true),
        ("localhost:5000/ringmaster-worker:1", true),
        ("docker.io/pytorch/pytorch:2.5.0", true),
        ("ghcr.io/ringmaster-dev/ringmaster-worker:9", false),
    ])
    func anImageIsTheWorkerImageOnlyByItsWholeRepository(image: String, getsSidecar: Bool) {
        let pod = WorkerPodBuilder.build(Self.trainerJob(image: image), rank: 0, attempt: 0, settings: WorkerPodSettings()).pod
        #expect((pod.spec?.initContainers?.count ?? 0 == 1) == getsSidecar)
    }

    @Test func repositoryDropsTagAndDigestButNotARegistryPort() {
        #expect(WorkerPodSettings.repository(of: "a.io:5000/b/c:1@sha256:ff") == "a.io:5000/b/c")
        #expect(WorkerPodSettings.repository(of: "a.io:5000/b/c") == "a.io:5000/b/c")
        #expect(WorkerPodSettings.repository(of: "c:latest") == "c")
    }
}
