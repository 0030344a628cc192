import Foundation
import KubeClient
import Testing
import TrainingJobAPI
import TrainingJobController

/// Failure policy rules on the real operator, with real `ringmaster-worker`
/// processes on the local cluster.
@Suite(.serialized) struct FailurePolicyIntegrationTests {
    /// Every worker exits 42 (`FAULT_EXIT_CODE`); a rule marks 42 `FailJob`:
    /// the job fails on the first failure, with backoffLimit left unused.
    @Test func anExitCodeARuleMarksFailJobFailsTheJobWithoutRestarts() async throws {
        let harness = try await OperatorHarness.start()
        do {
            var job = OperatorHarness.smallJob("exit42")
            job.spec.runPolicy.backoffLimit = 3
            job.spec.runPolicy.failurePolicy = FailurePolicySpec(rules: [
                .exitCodes(.failJob, .in, [42], containerName: WorkerLayout.containerName),
            ])
            job.spec.template = PodTemplateOverlay(env: [EnvVar(name: "FAULT_EXIT_CODE", value: "42")])
            try await harness.create(job)
            let done = try await harness.waitFor("exit42", timeout: .seconds(90), "Failed") {
                $0?.status?.phase?.isFinished ?? false
            }
            let status = try #require(done?.status)
            #expect(status.phase == .failed, "\(status)")
            #expect((status.restartCount ?? 0) == 0)
            let condition = try #require(status.condition(.failed))
            #expect(condition.reason == TrainingJobReason.failurePolicyRule)
            #expect(condition.message.contains("failed with exit code 42"), "\(condition.message)")
            #expect(condition.message.contains("spec.runPolicy.failurePolicy.rules[0] (FailJob)"), "\(condition.message)")
            #expect(status.failure?.exitCode == 42)
            #expect(status.failure?.message == "fault injection: exit code 42")
            // Events go out after the status write.
            try await harness.eventually("the Failed event") {
                try await harness.events(of: "exit42").contains {
                    $0.reason == "Failed" && ($0.message ?? "").hasPrefix("Failed (FailurePolicyRule)")
                }
            }
            #expect(!(try await harness.events(of: "exit42")).contains { $0.reason == "Restarting" })
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }
}
