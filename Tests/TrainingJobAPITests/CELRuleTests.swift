import Foundation
import RingmasterTesting
import Testing
@testable import TrainingJobAPI

/// The CRD's CEL rules, evaluated with a real CEL implementation (cel-python)
/// after the schema's defaults, as the API server does: the samples pass,
/// each broken spec trips exactly its rule, and model/dataset are immutable.
@Suite struct CELRuleTests {
    static let crd = Fixtures.file("crds/\(TrainingJobCRD.fileName)").path
    static let script = Fixtures.file("Tests/tools/check_cel_rules.py").path

    static func check(_ yaml: String, old: String? = nil) async throws -> ProcessResult {
        let python = try ExternalTools.python()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("object.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        var arguments = [script, crd, file.path]
        if let old {
            let oldFile = directory.appendingPathComponent("old.yaml")
            try old.write(to: oldFile, atomically: true, encoding: .utf8)
            arguments += ["--old", oldFile.path]
        }
        return try await ProcessRunner.run(python, arguments)
    }

    static func job(_ spec: String) -> String {
        "apiVersion: ringmaster.dev/v1alpha1\nkind: TrainingJob\nmetadata: {name: cel}\nspec:\n"
            + spec.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n") + "\n"
    }

    @Test(arguments: Fixtures.sampleFiles)
    func samplesPassEveryRule(path: String) async throws {
        let result = try await Self.check(Fixtures.read(path))
        #expect(result.status == 0, "\(result.combinedOutput)")
        #expect(result.standardOutput.hasPrefix("OK"))
    }

    struct RuleCase: Sendable, CustomTestStringConvertible {
        var name: String
        var spec: String
        var violation: String
        var testDescription: String { name }
    }

    static let ruleCases: [RuleCase] = [
        .init(name: "path source without path", spec: "dataset: {source: path}",
              violation: "spec.dataset: dataset.path is required when dataset.source is path"),
        .init(name: "builtin with path", spec: "dataset: {path: /data/x}",
              violation: "spec.dataset: dataset.path must not be set when dataset.source is builtin"),
        .init(name: "builtin csv", spec: "dataset: {format: csv}",
              violation: "spec.dataset: built-in data sets are in idx format"),
        .init(name: "volume with builtin", spec: "dataset: {volume: sets}",
              violation: "spec.dataset: dataset.volume requires dataset.source path"),
        .init(name: "path outside the volume", spec: "dataset: {source: path, path: /mnt/x, volume: sets}",
              violation: "spec.dataset: with dataset.volume, dataset.path must lie under /data/"),
        .init(name: "size and existing claim", spec: "storage: {size: 1Gi, existingClaim: c}",
              violation: "spec.storage: set storage.size or storage.existingClaim, not both"),
        .init(name: "storage class and existing claim", spec: "storage: {storageClassName: fast, existingClaim: c}",
              violation: "spec.storage: storage.storageClassName applies only to a claim the operator creates"),
        .init(name: "batch not a multiple of workers", spec: "workers: 3",
              violation: "spec: hyperparameters.batchSize must be a multiple of workers"),
        .init(name: "env value and valueFrom",
              spec: "template: {env: [{name: A, value: '1', valueFrom: {fieldRef: {fieldPath: metadata.name}}}]}",
              violation: "spec.template.env[0]: set value or valueFrom, not both"),
        .init(name: "failure rule without a matcher", spec: "runPolicy: {failurePolicy: {rules: [{action: FailJob}]}}",
              violation: "spec.runPolicy.failurePolicy.rules[0]: set exactly one of onExitCodes and onReasons"),
        .init(name: "failure rule with both matchers",
              spec: "runPolicy: {failurePolicy: {rules: [{action: FailJob, onReasons: [OOMKilled], onExitCodes: {operator: In, values: [3]}}]}}",
              violation: "spec.runPolicy.failurePolicy.rules[0]: set exactly one of onExitCodes and onReasons"),
        .init(name: "exit code 0 with In",
              spec: "runPolicy: {failurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [1, 0]}}]}}",
              violation: "spec.runPolicy.failurePolicy.rules[0].onExitCodes: exit code 0 is a success"),
        .init(name: "several processes in the Ringmaster worker image", spec: "processesPerWorker: 2",
              violation: "spec: processesPerWorker must be 1 for the Ringmaster worker image"),
    ]

    @Test(arguments: ruleCases)
    func brokenSpecTripsItsRule(_ ruleCase: RuleCase) async throws {
        let result = try await Self.check(Self.job(ruleCase.spec))
        #expect(result.status == 1)
        let violations = result.standardOutput.split(separator: "\n").filter { $0.hasPrefix("VIOLATION") }
        #expect(violations.count == 1, "\(result.combinedOutput)")
        #expect(violations.first?.contains(ruleCase.violation) == true, "\(result.combinedOutput)")
        // The Swift validation rejects the same spec.
        let job = try TrainingJob(yaml: Self.job(ruleCase.spec))
        #expect(!job.validate().isEmpty)
    }

    @Test func validFailureRulesAndTorchrunProcessesPass() async throws {
        let result = try await Self.check(Self.job("""
            image: example.com/torch:2
            command: [torchrun, /workspace/train.py]
            processesPerWorker: 2
            runPolicy: {failurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: NotIn, values: [0, 1]}}, {action: RestartJobAndIgnoreBackoffLimit, onReasons: [Evicted]}]}}
            """))
        #expect(result.status == 0, "\(result.combinedOutput)")
    }

    @Test func longNamesAreRejected() async throws {
        let long = Self.job("workers: 1").replacingOccurrences(
            of: "name: cel", with: "name: \(String(repeating: "a", count: 52))")
        let result = try await Self.check(long)
        #expect(result.status == 1)
        #expect(result.standardOutput.contains("VIOLATION <root>: metadata.name must be at most 51 characters"))
        let fits = try await Self.check(Self.job("workers: 1").replacingOccurrences(
            of: "name: cel", with: "name: \(String(repeating: "a", count: 51))"))
        #expect(fits.status == 0, "\(fits.combinedOutput)")
    }

    @Test func modelAndDatasetCannotChange() async throws {
        let old = Self.job("model: {hiddenLayers: [64]}\ndataset: {trainLimit: 100}")
        let same = try await Self.check(old, old: old)
        #expect(same.status == 0, "\(same.combinedOutput)")
        let changed = try await Self.check(
            Self.job("model: {hiddenLayers: [32]}\ndataset: {trainLimit: 50}\nhyperparameters: {epochs: 9}"), old: old)
        #expect(changed.status == 1)
        #expect(changed.standardOutput.contains("VIOLATION spec.model: model is immutable"))
        #expect(changed.standardOutput.contains("VIOLATION spec.dataset: dataset is immutable"))
        // Other fields may change.
        let epochs = try await Self.check(
            Self.job("model: {hiddenLayers: [64]}\ndataset: {trainLimit: 100}\nhyperparameters: {epochs: 9}"), old: old)
        #expect(epochs.status == 0, "\(epochs.combinedOutput)")
    }
}
