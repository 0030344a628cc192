import Foundation
import KubeClient
import Testing
@testable import TrainingJobAPI

/// Defaults: what a decoded spec holds, and that the CRD declares the same.
@Suite struct DefaultsTests {
    static func decode(spec: String) throws -> JSONValue {
        let job = try JSONDecoder().decode(
            TrainingJob.self,
            from: Data(#"{"apiVersion":"ringmaster.dev/v1alpha1","kind":"TrainingJob","metadata":{"name":"d"},"spec":\#(spec)}"#.utf8))
        return try JSONValue(encoding: job)
    }

    static func lookup(_ value: JSONValue, _ path: String) -> JSONValue? {
        var node: JSONValue? = value
        for part in path.split(separator: ".") { node = node?[String(part)] }
        return node
    }

    struct DefaultCase: Sendable, CustomTestStringConvertible {
        var spec: String
        var path: String
        /// nil: the field stays absent.
        var expected: JSONValue?
        var testDescription: String { "\(path) for \(spec)" }
    }

    static let cases: [DefaultCase] = [
        .init(spec: "{}", path: "spec.workers", expected: .integer(1)),
        .init(spec: #"{"workers":3}"#, path: "spec.workers", expected: .integer(3)),
        .init(spec: "{}", path: "spec.image", expected: .string("ghcr.io/ringmaster-dev/ringmaster-worker:0.1.0")),
        .init(spec: "{}", path: "spec.command", expected: nil),
        .init(spec: "{}", path: "spec.resources", expected: nil),
        .init(spec: "{}", path: "spec.model.hiddenLayers", expected: .array([.integer(256), .integer(128)])),
        .init(spec: "{}", path: "spec.hyperparameters.epochs", expected: .integer(1)),
        .init(spec: #"{"hyperparameters":{"epochs":5}}"#, path: "spec.hyperparameters.epochs", expected: .integer(5)),
        .init(spec: #"{"hyperparameters":{"epochs":5}}"#, path: "spec.hyperparameters.batchSize", expected: .integer(64)),
        .init(spec: "{}", path: "spec.hyperparameters.learningRate", expected: .double(0.01)),
        .init(spec: "{}", path: "spec.hyperparameters.optimizer", expected: .string("sgd")),
        .init(spec: "{}", path: "spec.hyperparameters.learningRateSchedule", expected: .string("Constant")),
        .init(spec: #"{"hyperparameters":{"learningRateSchedule":"Cosine"}}"#, path: "spec.hyperparameters.learningRateSchedule",
              expected: .string("Cosine")),
        .init(spec: "{}", path: "spec.hyperparameters.momentum", expected: .double(0.9)),
        .init(spec: "{}", path: "spec.hyperparameters.seed", expected: .integer(0)),
        .init(spec: "{}", path: "spec.hyperparameters.checkpointEverySteps", expected: .integer(100)),
        .init(spec: "{}", path: "spec.dataset.source", expected: .string("builtin")),
        .init(spec: "{}", path: "spec.dataset.name", expected: .string("fashion-mnist")),
        .init(spec: #"{"dataset":{"source":"path","path":"/d"}}"#, path: "spec.dataset.format", expected: .string("idx")),
        .init(spec: #"{"dataset":{"format":"csv"}}"#, path: "spec.dataset.labelColumn", expected: .string("label")),
        .init(spec: "{}", path: "spec.dataset.trainLimit", expected: nil),
        .init(spec: "{}", path: "spec.storage.retainPolicy", expected: .string("Delete")),
        .init(spec: "{}", path: "spec.storage.size", expected: nil),
        .init(spec: #"{"storage":{"existingClaim":"c"}}"#, path: "spec.storage.retainPolicy", expected: .string("Delete")),
        .init(spec: "{}", path: "spec.runPolicy.backoffLimit", expected: .integer(3)),
        .init(spec: "{}", path: "spec.runPolicy.cleanPodPolicy", expected: .string("Running")),
        .init(spec: "{}", path: "spec.runPolicy.suspend", expected: .bool(false)),
        .init(spec: "{}", path: "spec.runPolicy.restartBackoffSeconds", expected: .integer(10)),
        .init(spec: "{}", path: "spec.runPolicy.activeDeadlineSeconds", expected: nil),
        .init(spec: "{}", path: "spec.template", expected: nil),
    ]

    @Test(arguments: cases)
    func defaultApplied(_ testCase: DefaultCase) throws {
        let encoded = try Self.decode(spec: testCase.spec)
        #expect(Self.lookup(encoded, testCase.path) == testCase.expected)
    }

    @Test func storageSizeFallsBackWhenUnset() throws {
        #expect(StorageSpec().effectiveSize == "1Gi")
        #expect(StorageSpec(size: "3Gi").effectiveSize == "3Gi")
    }

    // MARK: The CRD declares the same defaults

    /// Structural defaulting as the API server performs it, driven by the
    /// committed CRD's JSON schema (not by the Swift schema builder).
    static func applyCRDDefaults(_ value: JSONValue, _ schema: JSONValue) -> JSONValue {
        switch value {
        case .object(var members):
            let properties = schema["properties"]?.objectValue ?? [:]
            for (name, child) in properties {
                if members[name] == nil, let defaultValue = child["default"] { members[name] = defaultValue }
                if let member = members[name] { members[name] = applyCRDDefaults(member, child) }
            }
            if let values = schema["additionalProperties"], values.objectValue != nil {
                for (name, member) in members where properties[name] == nil {
                    members[name] = applyCRDDefaults(member, values)
                }
            }
            return .object(members)
        case .array(let elements):
            guard let items = schema["items"] else { return value }
            return .array(elements.map { applyCRDDefaults($0, items) })
        default:
            return value
        }
    }

    static let defaultingInputs = [
        "{}",
        #"{"workers":2,"hyperparameters":{"epochs":3}}"#,
        #"{"model":{}, "dataset":{"source":"path","path":"/data/x","format":"csv"}}"#,
        #"{"storage":{"existingClaim":"c"},"runPolicy":{"suspend":true}}"#,
        #"{"template":{"labels":{"a":"b"},"env":[{"name":"X","value":"1"}]}}"#,
        #"{"hyperparameters":{"learningRate":0.5,"optimizer":"adam","momentum":0.5}}"#,
        #"{"hyperparameters":{"learningRate":0.002,"learningRateSchedule":"Cosine"}}"#,
    ]

    @Test(arguments: defaultingInputs)
    func swiftDefaultsEqualCRDDefaults(spec: String) throws {
        let input = try JSONDecoder().decode(
            JSONValue.self,
            from: Data(#"{"apiVersion":"ringmaster.dev/v1alpha1","kind":"TrainingJob","metadata":{"name":"d"},"spec":\#(spec)}"#.utf8))
        let byAPIServer = Self.applyCRDDefaults(input, try CRDGenerationTests.committedSchema())
        let bySwift = try Self.decode(spec: spec)
        #expect(bySwift == byAPIServer)
        // The Swift schema builder's own defaulting agrees too.
        #expect(TrainingJob.applyingSchemaDefaults(to: input) == byAPIServer)
    }
}
