import Foundation
import KubeClient
import Testing
import TrainingJobAPI
@testable import TrainingJobController

@Suite struct BuilderTests {
    @Test func headlessServiceSelectsTheJobsWorkersAndPublishesNotReadyAddresses() {
        let job = Fixtures.job()
        let service = HeadlessServiceBuilder.build(job)
        #expect(service.metadata.name == "mnist")
        #expect(service.metadata.namespace == "ml")
        #expect(service.spec?.clusterIP == "None")
        #expect(service.spec?.publishNotReadyAddresses == true)
        #expect(service.spec?.selector == [TrainingJobLabels.jobName: "mnist"])
        #expect(service.metadata.ownerReferences == [job.controllerReference])
        #expect(job.controllerReference.controller == true && job.controllerReference.blockOwnerDeletion == true)
    }

    @Test(arguments: [0, 1, 3])
    func workerPodHasStableIdentityAndTheContract(rank: Int) throws {
        let job = Fixtures.job(workers: 4)
        let pod = WorkerPodBuilder.build(job, rank: rank, attempt: 2, settings: WorkerPodSettings()).pod
        let spec = try #require(pod.spec)
        #expect(pod.metadata.name == "mnist-worker-\(rank)")
        #expect(spec.hostname == "mnist-worker-\(rank)")
        #expect(spec.subdomain == "mnist")
        #expect(spec.restartPolicy == "Never")
        #expect(spec.serviceAccountName == "mnist-worker")
        #expect(pod.metadata.labels == [
            TrainingJobLabels.jobName: "mnist", TrainingJobLabels.replicaIndex: String(rank),
            TrainingJobLabels.restartAttempt: "2",
        ])
        #expect(pod.metadata.ownerReferences == [job.controllerReference])
        let container = try #require(spec.containers.first)
        #expect(container.image == TrainingJob.defaultWorkerImage)
        // The env parses back through the worker's side of the contract.
        var environment: [String: String] = [:]
        for variable in container.env ?? [] {
            if let value = variable.value { environment[variable.name] = value }
        }
        let token = try #require(container.env?.first { $0.name == WorkerEnvironment.Key.authToken })
        #expect(token.value == nil)
        #expect(token.valueFrom?.secretKeyRef == .init(name: "mnist-ring-token", key: "token"))
        environment[WorkerEnvironment.Key.authToken] = "secret"
        let contract = try WorkerEnvironment(environment: environment)
        #expect(contract.rank == rank)
        #expect(contract.worldSize == 4)
        #expect(contract.masterAddress == "mnist-worker-0.mnist.ml.svc")
        #expect(contract.masterPort == 29500)
        #expect(contract.peers == (0..<4).map { "mnist-worker-\($0).mnist.ml.svc:29400" })
        #expect(contract.restartAttempt == 2)
        #expect(contract.checkpointDirectory == "/var/lib/ringmaster/checkpoints")
        #expect(contract.artifactDirectory == "/var/lib/ringmaster/artifacts")
        #expect(contract.jobName == "mnist" && contract.jobNamespace == "ml" && contract.jobUID == "uid-mnist")
        #expect(container.volumeMounts?.first == VolumeMount(name: "storage", mountPath: "/var/lib/ringmaster"))
        #expect(spec.volumes?.first?.persistentVolumeClaim?.claimName == "mnist-storage")
    }

    @Test(arguments: [(nil, "0.0"), (9, "1.5"), (120, "10.0")] as [(Int?, String)])
    func workersAreToldToHeartbeatOnlyWhenStallDetectionIsOn(deadline: Int?, heartbeat: String) throws {
        let job = Fixtures.job(runPolicy: RunPolicy(progressDeadlineSeconds: deadline))
        let pod = WorkerPodBuilder.build(job, rank: 1, attempt: 0, settings: WorkerPodSettings()).pod
        let env = try #require(pod.spec?.containers.first?.env)
        #expect(env.first { $0.name == WorkerEnvironment.Key.heartbeatSeconds }?.value == heartbeat)
        let parsed = try WorkerEnvironment(environment: Dictionary(
            env.compactMap { variable in variable.value.map { (variable.name, $0) } } + [(WorkerEnvironment.Key.authToken, "t")],
            uniquingKeysWith: { $1 }))
        #expect(parsed.heartbeatSeconds == Double(heartbeat))
    }

    @Test func aNegativeHeartbeatIsRejectedByTheWorker() throws {
        let environment = [
            WorkerEnvironment.Key.rank: "0", WorkerEnvironment.Key.worldSize: "1", WorkerEnvironment.Key.peers: "a:1",
            WorkerEnvironment.Key.heartbeatSeconds: "-1",
        ]
        #expect(throws: WorkerEnvironmentError.self) { try WorkerEnvironment(environment: environment) }
    }

    @Test func workerImageSettingReplacesOnlyTheDefaultImage() {
        var job = Fixtures.job()
        let settings = WorkerPodSettings(workerImage: "registry.local/ringmaster-worker:dev")
        #expect(WorkerPodBuilder.build(job, rank: 0, attempt: 0, settings: settings).pod.spec?.containers[0].image
            == "registry.local/ringmaster-worker:dev")
        job.spec.image = "pytorch/ddp:1"
        #expect(WorkerPodBuilder.build(job, rank: 0, attempt: 0, settings: settings).pod.spec?.containers[0].image == "pytorch/ddp:1")
    }

    @Test func overlayIsAppliedAndTheOperatorWinsCollisions() throws {
        let overlay = PodTemplateOverlay(
            labels: ["team": "vision", TrainingJobLabels.replicaIndex: "99"],
            annotations: ["owner": "ana"],
            nodeSelector: ["gpu": "a100"],
            tolerations: [Toleration(key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule")],
            affinity: ["nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": []]]],
            priorityClassName: "high", serviceAccountName: "custom-sa",
            env: [EnvVar(name: "NCCL_DEBUG", value: "INFO"), EnvVar(name: WorkerEnvironment.Key.rank, value: "7")])
        var job = Fixtures.job(template: overlay)
        job.spec.resources = ResourceRequirements(limits: ["nvidia.com/gpu": "1", "cpu": "2"])
        let output = WorkerPodBuilder.build(job, rank: 1, attempt: 0, settings: WorkerPodSettings())
        let pod = output.pod
        let spec = try #require(pod.spec)
        #expect(pod.metadata.labels?["team"] == "vision")
        #expect(pod.metadata.labels?[TrainingJobLabels.replicaIndex] == "1")
        #expect(pod.metadata.annotations == ["owner": "ana"])
        #expect(spec.nodeSelector == ["gpu": "a100"])
        #expect(spec.tolerations == overlay.tolerations)
        #expect(spec.affinity == overlay.affinity)
        #expect(spec.priorityClassName == "high")
        #expect(spec.serviceAccountName == "custom-sa")
        #expect(spec.containers[0].resources?.limits?["nvidia.com/gpu"] == "1")
        let env = spec.containers[0].env ?? []
        #expect(env.filter { $0.name == "RANK" }.map(\.value) == ["1"])
        #expect(env.last == EnvVar(name: "NCCL_DEBUG", value: "INFO"))
        #expect(Set(output.collisions) == [OverlayCollision(.label, TrainingJobLabels.replicaIndex), OverlayCollision(.env, "RANK")])
    }

    struct ClaimCase: Sendable, CustomTestStringConvertible {
        var storage: StorageSpec
        var mounted: String
        var created: Bool
        var owned: Bool
        var size: String?
        var testDescription: String { "\(storage)" }
    }

    @Test(arguments: [
        ClaimCase(storage: StorageSpec(), mounted: "mnist-storage", created: true, owned: true, size: "1Gi"),
        ClaimCase(storage: StorageSpec(size: "5Gi", storageClassName: "fast"), mounted: "mnist-storage", created: true, owned: true, size: "5Gi"),
        ClaimCase(storage: StorageSpec(size: "5Gi", retainPolicy: .retain), mounted: "mnist-storage", created: true, owned: false, size: "5Gi"),
        ClaimCase(storage: StorageSpec(existingClaim: "shared"), mounted: "shared", created: false, owned: false),
        ClaimCase(storage: StorageSpec(existingClaim: "shared", retainPolicy: .delete), mounted: "shared", created: false, owned: false),
    ])
    func volumeClaimRetention(_ c: ClaimCase) {
        let job = Fixtures.job(storage: c.storage)
        #expect(VolumeClaimPolicy.claimName(job) == c.mounted)
        let claim = VolumeClaimPolicy.desiredClaim(job)
        #expect((claim != nil) == c.created)
        if let claim {
            #expect(claim.metadata.name == "mnist-storage")
            #expect((claim.metadata.ownerReferences?.isEmpty == false) == c.owned)
            #expect(claim.spec?.resources?.requests?["storage"]?.value == c.size)
            #expect(claim.spec?.storageClassName == c.storage.storageClassName)
        }
        let pod = WorkerPodBuilder.build(job, rank: 0, attempt: 0, settings: WorkerPodSettings()).pod
        #expect(pod.spec?.volumes?.first?.persistentVolumeClaim?.claimName == c.mounted)
    }

    @Test func workerRBACAllowsOnlyThisJobsStatus() {
        let job = Fixtures.job()
        let role = WorkerRBACBuilder.role(job)
        #expect(role.rules == [PolicyRule(apiGroups: ["ringmaster.dev"], resources: ["trainingjobs/status"], resourceNames: ["mnist"], verbs: ["get", "patch"])])
        let binding = WorkerRBACBuilder.roleBinding(job)
        #expect(binding.roleRef.name == "mnist-worker")
        #expect(binding.subjects == [.init(kind: "ServiceAccount", name: "mnist-worker", namespace: "ml")])
        for meta in [role.metadata, binding.metadata, WorkerRBACBuilder.serviceAccount(job).metadata] {
            #expect(meta.ownerReferences == [job.controllerReference])
        }
    }

    @Test func ringTokenIsRandomAndOwned() throws {
        let a = RingTokenSecretBuilder.randomToken()
        let b = RingTokenSecretBuilder.randomToken()
        #expect(a.count == 32)
        #expect(a != b)
        let secret = RingTokenSecretBuilder.build(Fixtures.job(), token: a)
        #expect(secret.metadata.name == "mnist-ring-token")
        #expect(secret.metadata.ownerReferences == [Fixtures.job().controllerReference])
        let text = try #require(secret.decodedData("token")).map { String(UnicodeScalar($0)) }.joined()
        #expect(text == a.map { String(format: "%02x", $0) }.joined())
    }

    @Test func datasetVolumeIsMountedReadOnly() throws {
        var job = Fixtures.job()
        job.spec.dataset = DatasetSpec(source: .path, path: "/data/fmnist", volume: "datasets")
        let pod = WorkerPodBuilder.build(job, rank: 0, attempt: 0, settings: WorkerPodSettings()).pod
        let volume = try #require(pod.spec?.volumes?.first { $0.name == "dataset" })
        #expect(volume.persistentVolumeClaim == PersistentVolumeClaimVolumeSource(claimName: "datasets", readOnly: true))
        #expect(pod.spec?.containers[0].volumeMounts?.contains(VolumeMount(name: "dataset", mountPath: "/data", readOnly: true)) == true)
        #expect(pod.spec?.containers[0].env?.contains(EnvVar(name: WorkerEnvironment.Key.datasetPath, value: "/data/fmnist")) == true)
    }
}
