import Foundation
import KubeClient
import RingmasterTesting
import Testing
@testable import TrainingJobAPI

/// The shipped manifests against the official Kubernetes schemas, and the
/// samples against the CRD and the Swift validation.
@Suite struct ManifestValidationTests {
    static func tool(_ name: String) -> String {
        Fixtures.file("Tests/tools/\(name)").path
    }

    @Test func crdFilesValidateAgainstKubernetesSchemas() async throws {
        let python = try ExternalTools.python()
        let files = TrainingJobCRD.outputDirectories.map { Fixtures.file("\($0)/\(TrainingJobCRD.fileName)").path }
        let result = try await ProcessRunner.run(python, [Self.tool("validate_manifests.py")] + files)
        #expect(result.status == 0, "kubernetes_validate:\n\(result.combinedOutput)")
        #expect(result.standardOutput.components(separatedBy: "OK    ").count - 1 == files.count)
    }

    @Test func kustomizeDefaultRendersValidManifests() async throws {
        let kubectl = try ExternalTools.kubectl()
        let rendered = try await ProcessRunner.run(kubectl, ["kustomize", Fixtures.file("config/default").path])
        try #require(rendered.status == 0, "kubectl kustomize config/default:\n\(rendered.standardError)")

        let documents = try JSONValue.documents(yaml: rendered.standardOutput)
        let kinds = Set(documents.compactMap { $0["kind"]?.stringValue })
        #expect(kinds == [
            "Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
            "Role", "RoleBinding", "Deployment",
        ])
        for document in documents where document["kind"]?.stringValue != "Namespace"
            && document["kind"]?.stringValue != "CustomResourceDefinition"
            && document["kind"]?.stringValue != "ClusterRole"
            && document["kind"]?.stringValue != "ClusterRoleBinding"
        {
            #expect(document["metadata"]?["namespace"] == .string("ringmaster-system"))
        }

        let python = try ExternalTools.python()
        let result = try await ProcessRunner.run(
            python, [Self.tool("validate_manifests.py"), "-"], standardInput: rendered.standardOutput)
        #expect(result.status == 0, "kubernetes_validate:\n\(result.combinedOutput)")
        #expect(result.standardOutput.components(separatedBy: "OK    ").count - 1 == documents.count)
    }

    @Test func kustomizedCRDIsTheGeneratedOne() async throws {
        let kubectl = try ExternalTools.kubectl()
        let rendered = try await ProcessRunner.run(kubectl, ["kustomize", Fixtures.file("config/crd").path])
        try #require(rendered.status == 0, "\(rendered.standardError)")
        let documents = try JSONValue.documents(yaml: rendered.standardOutput)
        #expect(documents == [try TrainingJobCRD.json()])
    }

    @Test func samplesValidateAgainstTheCRDSchema() async throws {
        let python = try ExternalTools.python()
        let crd = Fixtures.file("crds/\(TrainingJobCRD.fileName)").path
        let samples = Fixtures.sampleFiles.map { Fixtures.file($0).path }
        let result = try await ProcessRunner.run(python, [Self.tool("validate_samples.py"), crd] + samples)
        #expect(result.status == 0, "jsonschema:\n\(result.combinedOutput)")
        #expect(result.standardOutput.components(separatedBy: "OK    ").count - 1 == samples.count)
    }

    @Test func schemaValidationRejectsABrokenSample() async throws {
        // The same script fails on a sample the CRD must reject, so the test above can fail.
        let python = try ExternalTools.python()
        let crd = Fixtures.file("crds/\(TrainingJobCRD.fileName)").path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tj-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let broken = directory.appendingPathComponent("broken.yaml")
        try """
            apiVersion: ringmaster.dev/v1alpha1
            kind: TrainingJob
            metadata: {name: broken}
            spec:
              workers: 0
              typo: true
              hyperparameters: {optimizer: lion}
            """.write(to: broken, atomically: true, encoding: .utf8)
        let result = try await ProcessRunner.run(python, [Self.tool("validate_samples.py"), crd, broken.path])
        #expect(result.status == 1)
        #expect(result.standardOutput.contains("at spec.workers"))
        #expect(result.standardOutput.contains("'typo' was unexpected"))
        #expect(result.standardOutput.contains("at spec.hyperparameters.optimizer"))
    }

    @Test(arguments: Fixtures.sampleFiles)
    func samplePassesSwiftValidation(path: String) throws {
        let job = try TrainingJob(yaml: Fixtures.read(path))
        #expect(job.validate() == [])
    }

    @Test func fashionMNISTSampleIsSetUpToReachTheAccuracyTarget() throws {
        let job = try TrainingJob(yaml: Fixtures.read(Fixtures.sampleFiles[0]))
        #expect(job.spec.workers == 2)
        #expect(job.spec.usesDefaultWorkerImage)
        #expect(job.spec.dataset.name == "fashion-mnist")
        #expect(job.spec.model.hiddenLayers == [256, 128])
        #expect(job.spec.hyperparameters.epochs >= 8)
    }

    /// The config sample and the example run the same script, present in the
    /// repository, under torchrun with the operator's rendezvous variables.
    @Test(arguments: [Fixtures.sampleFiles[1], Fixtures.sampleFiles[2]])
    func pytorchSampleRunsTheExampleTrainerUnderTorchrun(path: String) throws {
        let job = try TrainingJob(yaml: Fixtures.read(path))
        #expect(!job.spec.usesDefaultWorkerImage)
        #expect(job.spec.image == "ringmaster-examples/pytorch-ddp:latest")
        #expect(job.spec.command == ["torchrun"])
        let args = try #require(job.spec.args)
        for option in ["--nnodes=$(PET_NNODES)", "--node-rank=$(PET_NODE_RANK)", "--master-addr=$(MASTER_ADDR)", "--master-port=$(MASTER_PORT)"] {
            #expect(args.contains(option), "\(path): \(args)")
        }
        #expect(args.contains("/workspace/train.py"))
        #expect(FileManager.default.fileExists(atPath: Fixtures.file("examples/pytorch-ddp/train.py").path))
        let dockerfile = try Fixtures.read("examples/pytorch-ddp/Dockerfile")
        #expect(dockerfile.contains("COPY train.py /workspace/train.py"))
    }
}
