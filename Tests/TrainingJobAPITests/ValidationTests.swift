import Foundation
import KubeClient
import Testing
@testable import TrainingJobAPI

/// `TrainingJob.validate()`: each problem names its field, all are reported at once.
@Suite struct ValidationTests {
    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var name: String
        var field: String
        var code: ValidationProblem.Code
        var breakIt: @Sendable (inout TrainingJob) -> Void
        var testDescription: String { name }
    }

    static let invalidCases: [InvalidCase] = [
        .init(name: "zero workers", field: "spec.workers", code: .invalid) { $0.spec.workers = 0 },
        .init(name: "too many workers", field: "spec.workers", code: .invalid) { $0.spec.workers = 1025; $0.spec.hyperparameters.batchSize = 1025 },
        .init(name: "empty image", field: "spec.image", code: .required) { $0.spec.image = "" },
        .init(name: "empty command", field: "spec.command", code: .invalid) { $0.spec.command = [] },
        .init(name: "bad quantity", field: "spec.resources.limits[memory]", code: .invalid) {
            $0.spec.resources = ResourceRequirements(limits: ["memory": "lots"])
        },
        .init(name: "negative quantity", field: "spec.resources.requests[cpu]", code: .invalid) {
            $0.spec.resources = ResourceRequirements(requests: ["cpu": "-1"])
        },
        .init(name: "no hidden layers", field: "spec.model.hiddenLayers", code: .invalid) { $0.spec.model.hiddenLayers = [] },
        .init(name: "zero-width layer", field: "spec.model.hiddenLayers[1]", code: .invalid) { $0.spec.model.hiddenLayers = [64, 0] },
        .init(name: "zero epochs", field: "spec.hyperparameters.epochs", code: .invalid) { $0.spec.hyperparameters.epochs = 0 },
        .init(name: "batch not a multiple of workers", field: "spec.hyperparameters.batchSize", code: .invalid) {
            $0.spec.workers = 3; $0.spec.hyperparameters.batchSize = 64
        },
        .init(name: "zero learning rate", field: "spec.hyperparameters.learningRate", code: .invalid) { $0.spec.hyperparameters.learningRate = 0 },
        .init(name: "NaN learning rate", field: "spec.hyperparameters.learningRate", code: .invalid) { $0.spec.hyperparameters.learningRate = .nan },
        .init(name: "unknown optimizer", field: "spec.hyperparameters.optimizer", code: .notSupported) { $0.spec.hyperparameters.optimizer = "rmsprop" },
        .init(name: "unknown learning-rate schedule", field: "spec.hyperparameters.learningRateSchedule", code: .notSupported) {
            $0.spec.hyperparameters.learningRateSchedule = "Exponential"
        },
        .init(name: "learning-rate schedule in the wrong case", field: "spec.hyperparameters.learningRateSchedule", code: .notSupported) {
            $0.spec.hyperparameters.learningRateSchedule = "cosine"
        },
        .init(name: "momentum of 1", field: "spec.hyperparameters.momentum", code: .invalid) { $0.spec.hyperparameters.momentum = 1 },
        .init(name: "negative seed", field: "spec.hyperparameters.seed", code: .invalid) { $0.spec.hyperparameters.seed = -1 },
        .init(name: "negative checkpoint interval", field: "spec.hyperparameters.checkpointEverySteps", code: .invalid) {
            $0.spec.hyperparameters.checkpointEverySteps = -5
        },
        .init(name: "unknown source", field: "spec.dataset.source", code: .notSupported) { $0.spec.dataset.source = "s3" },
        .init(name: "path source without path", field: "spec.dataset.path", code: .required) { $0.spec.dataset.source = .path },
        .init(name: "relative path", field: "spec.dataset.path", code: .invalid) {
            $0.spec.dataset.source = .path; $0.spec.dataset.path = "data/fashion"
        },
        .init(name: "path outside the data volume", field: "spec.dataset.path", code: .invalid) {
            $0.spec.dataset.source = .path; $0.spec.dataset.path = "/mnt/x"; $0.spec.dataset.volume = "sets"
        },
        .init(name: "path with builtin source", field: "spec.dataset.path", code: .forbidden) { $0.spec.dataset.path = "/data/x" },
        .init(name: "unknown builtin", field: "spec.dataset.name", code: .notSupported) { $0.spec.dataset.name = "cifar-10" },
        .init(name: "csv builtin", field: "spec.dataset.format", code: .invalid) { $0.spec.dataset.format = .csv },
        .init(name: "unknown format", field: "spec.dataset.format", code: .notSupported) {
            $0.spec.dataset.source = .path; $0.spec.dataset.path = "/d"; $0.spec.dataset.format = "parquet"
        },
        .init(name: "zero train limit", field: "spec.dataset.trainLimit", code: .invalid) { $0.spec.dataset.trainLimit = 0 },
        .init(name: "volume with builtin", field: "spec.dataset.volume", code: .forbidden) { $0.spec.dataset.volume = "sets" },
        .init(name: "size and existing claim", field: "spec.storage.size", code: .forbidden) {
            $0.spec.storage.size = "1Gi"; $0.spec.storage.existingClaim = "mine"
        },
        .init(name: "zero size", field: "spec.storage.size", code: .invalid) { $0.spec.storage.size = "0Gi" },
        .init(name: "bad claim name", field: "spec.storage.existingClaim", code: .invalid) { $0.spec.storage.existingClaim = "My_Claim" },
        .init(name: "storage class with existing claim", field: "spec.storage.storageClassName", code: .forbidden) {
            $0.spec.storage.existingClaim = "mine"; $0.spec.storage.storageClassName = "fast"
        },
        .init(name: "unknown retain policy", field: "spec.storage.retainPolicy", code: .notSupported) { $0.spec.storage.retainPolicy = "Keep" },
        .init(name: "negative backoff limit", field: "spec.runPolicy.backoffLimit", code: .invalid) { $0.spec.runPolicy.backoffLimit = -1 },
        .init(name: "zero deadline", field: "spec.runPolicy.activeDeadlineSeconds", code: .invalid) { $0.spec.runPolicy.activeDeadlineSeconds = 0 },
        .init(name: "negative ttl", field: "spec.runPolicy.ttlSecondsAfterFinished", code: .invalid) { $0.spec.runPolicy.ttlSecondsAfterFinished = -1 },
        .init(name: "unknown clean pod policy", field: "spec.runPolicy.cleanPodPolicy", code: .notSupported) { $0.spec.runPolicy.cleanPodPolicy = "Some" },
        .init(name: "zero progress deadline", field: "spec.runPolicy.progressDeadlineSeconds", code: .invalid) {
            $0.spec.runPolicy.progressDeadlineSeconds = 0
        },
        .init(name: "restart backoff too long", field: "spec.runPolicy.restartBackoffSeconds", code: .invalid) {
            $0.spec.runPolicy.restartBackoffSeconds = 7200
        },
        .init(name: "reserved label", field: "spec.template.labels[ringmaster.dev/job]", code: .forbidden) {
            $0.spec.template = PodTemplateOverlay(labels: ["ringmaster.dev/job": "x"])
        },
        .init(name: "bad label value", field: "spec.template.labels[team]", code: .invalid) {
            $0.spec.template = PodTemplateOverlay(labels: ["team": "vision & speech"])
        },
        .init(name: "bad node selector key", field: "spec.template.nodeSelector[-zone]", code: .invalid) {
            $0.spec.template = PodTemplateOverlay(nodeSelector: ["-zone": "a"])
        },
        .init(name: "bad toleration operator", field: "spec.template.tolerations[0].operator", code: .notSupported) {
            $0.spec.template = PodTemplateOverlay(tolerations: [Toleration(key: "k", operator: "In")])
        },
        .init(name: "affinity not an object", field: "spec.template.affinity", code: .invalid) {
            $0.spec.template = PodTemplateOverlay(affinity: .string("zone-a"))
        },
        .init(name: "bad service account", field: "spec.template.serviceAccountName", code: .invalid) {
            $0.spec.template = PodTemplateOverlay(serviceAccountName: "Trainer")
        },
        .init(name: "reserved env", field: "spec.template.env[1].name", code: .forbidden) {
            $0.spec.template = PodTemplateOverlay(env: [EnvVar(name: "A", value: "1"), EnvVar(name: "WORLD_SIZE", value: "8")])
        },
        .init(name: "reserved env prefix", field: "spec.template.env[0].name", code: .forbidden) {
            $0.spec.template = PodTemplateOverlay(env: [EnvVar(name: "RINGMASTER_PEERS", value: "x")])
        },
        .init(name: "duplicate env", field: "spec.template.env[1].name", code: .duplicate) {
            $0.spec.template = PodTemplateOverlay(env: [EnvVar(name: "A", value: "1"), EnvVar(name: "A", value: "2")])
        },
        .init(name: "env with digit first", field: "spec.template.env[0].name", code: .invalid) {
            $0.spec.template = PodTemplateOverlay(env: [EnvVar(name: "1A", value: "1")])
        },
        .init(name: "env value and valueFrom", field: "spec.template.env[0]", code: .invalid) {
            $0.spec.template = PodTemplateOverlay(env: [EnvVar(
                name: "A", value: "1", valueFrom: EnvVarSource(fieldRef: .init(fieldPath: "metadata.name")))])
        },
        .init(name: "too many env vars", field: "spec.template.env", code: .tooLong) {
            $0.spec.template = PodTemplateOverlay(env: (0..<129).map { EnvVar(name: "V\($0)", value: "x") })
        },
        .init(name: "name too long", field: "metadata.name", code: .tooLong) { $0.metadata.name = String(repeating: "a", count: 52) },
        .init(name: "name starting with a digit", field: "metadata.name", code: .invalid) { $0.metadata.name = "1job" },
        .init(name: "no name", field: "metadata.name", code: .required) { $0.metadata.name = nil },
    ]

    @Test func validJobHasNoProblems() {
        #expect(Fixtures.validJob().validate() == [])
        #expect(TrainingJob(metadata: ObjectMeta(name: "defaults")).validate() == [])
        // The longest name still leaves room for `-worker-1023` in a 63-character host name.
        #expect(ValidationPatterns.jobNameMaxLength == 51)
        #expect(TrainingJob(metadata: ObjectMeta(name: String(repeating: "a", count: 51))).validate() == [])
    }

    @Test(arguments: invalidCases)
    func invalidSpecNamesItsField(_ testCase: InvalidCase) {
        var job = Fixtures.validJob()
        testCase.breakIt(&job)
        let problems = job.validate()
        #expect(problems.count == 1, "expected exactly one problem, got \(problems)")
        #expect(problems.first?.field == testCase.field)
        #expect(problems.first?.code == testCase.code)
        // Messages are actionable: never empty, and the description leads with the field.
        #expect(problems.first.map { !$0.message.isEmpty && $0.description.hasPrefix("\(testCase.field): ") } == true)
    }

    @Test func workersMessageIsExact() {
        var job = Fixtures.validJob()
        job.spec.workers = 0
        #expect(job.validate().map(\.description) == ["spec.workers: must be between 1 and 1024, got 0"])
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        var job = Fixtures.validJob()
        job.metadata.name = "Bad_Name"
        job.spec.workers = 0
        job.spec.hyperparameters.optimizer = "rmsprop"
        job.spec.hyperparameters.learningRate = -1
        job.spec.dataset.source = .path
        job.spec.storage = StorageSpec(size: "2Gi", existingClaim: "claim")
        job.spec.runPolicy.backoffLimit = 1000
        job.spec.template = PodTemplateOverlay(env: [EnvVar(name: "RANK", value: "0")])
        let fields = job.validate().map(\.field)
        #expect(fields == [
            "metadata.name",
            "spec.workers",
            "spec.hyperparameters.learningRate",
            "spec.hyperparameters.optimizer",
            "spec.dataset.path",
            "spec.storage.size",
            "spec.runPolicy.backoffLimit",
            "spec.template.env[0].name",
        ])
        let error = TrainingJobValidationError(problems: job.validate())
        #expect(error.description.hasPrefix("invalid TrainingJob: metadata.name: "))
        #expect(throws: TrainingJobValidationError.self) { try job.validated() }
    }

    @Test func modelAndDatasetAreImmutable() {
        let old = Fixtures.validJob()
        var new = old
        new.spec.hyperparameters.epochs = 20
        #expect(new.validateUpdate(from: old) == [])
        new.spec.model.hiddenLayers = [32]
        new.spec.dataset.trainLimit = 100
        #expect(new.validateUpdate(from: old).map(\.field) == ["spec.model", "spec.dataset"])
    }

    @Test func unknownEnumValuesDecodeAndAreReported() throws {
        let job = try TrainingJob(yaml: """
            apiVersion: ringmaster.dev/v1alpha1
            kind: TrainingJob
            metadata: {name: odd}
            spec:
              hyperparameters: {optimizer: lion}
              runPolicy: {cleanPodPolicy: Sometimes}
            """)
        #expect(job.spec.hyperparameters.optimizer.rawValue == "lion")
        #expect(job.validate().map(\.description) == [
            "spec.hyperparameters.optimizer: must be one of sgd, adam, got \"lion\"",
            "spec.runPolicy.cleanPodPolicy: must be one of All, Running, None, got \"Sometimes\"",
        ])
    }
}
