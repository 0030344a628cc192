import Foundation
import KubeClient
import RingmasterTesting
import Testing
import TrainingJobAPI
import TrainingJobController

/// The operator's RBAC is derived from what it does: every request its client
/// sends while running real jobs is turned into a permission and compared with
/// config/rbac/role.yaml (which the chart's manager rules equal, see
/// IntegrationTests' ChartConsistencyTests).
@Suite(.serialized) struct OperatorRBACTests {
    /// Granted although no scenario below sends the request, each with why.
    /// Anything granted, unused and not listed here fails the test.
    static let allowlist: [RBACPermission: String] = [
        RBACPermission(apiGroup: "ringmaster.dev", resource: "trainingjobs/finalizers", verb: "update"):
            "not a request: OwnerReferencesPermissionEnforcement checks it when children carry blockOwnerDeletion owner references to the job",
        RBACPermission(apiGroup: "ringmaster.dev", resource: "trainingjobs/status", verb: "get"):
            "not a request: RBAC escalation prevention lets the operator create the workers' Role (get, patch on the job's status) only if it holds both verbs",
    ]

    static func operatorGrants() throws -> Set<RBACPermission> {
        var grants = Set<RBACPermission>()
        for file in ["config/rbac/role.yaml", "config/rbac/leader_election_role.yaml"] {
            let path = ExternalTools.packageRoot.appendingPathComponent(file)
            for document in try JSONValue.documents(yaml: String(contentsOf: path, encoding: .utf8))
            where ["Role", "ClusterRole"].contains(document["kind"]?.stringValue ?? "") {
                grants.formUnion(try RBACPermission.expand(rules: document["rules"]?.arrayValue ?? []))
            }
        }
        return grants
    }

    /// Three jobs at once on one cluster, covering the operator's paths:
    /// - `ok` trains to success and is deleted by ttlSecondsAfterFinished;
    /// - `kill` loses a worker to SIGKILL, so the ring is deleted and recreated;
    /// - `pause` (unschedulable) is suspended, resumed, then deleted by the user.
    /// The operator runs leader election, as deployed, so the grants compared
    /// are config/rbac/role.yaml's and config/rbac/leader_election_role.yaml's.
    @Test func operatorRoleGrantsExactlyWhatTheOperatorUses() async throws {
        let recorder = RequestRecorder()
        let harness = try await OperatorHarness.start(gpus: 0, operatorRequests: recorder, leaderElect: true)
        do {
            var ok = OperatorHarness.smallJob("ok", train: 256)
            ok.spec.runPolicy.ttlSecondsAfterFinished = 1
            try await harness.create(ok)
            // `kill` holds after step 10 until released, so it is still training when the test kills its worker.
            try await harness.create(OperatorHarness.smallJob("kill", train: 2000, layers: [64], holdAfterStep: 10))
            var pause = OperatorHarness.smallJob("pause")
            pause.spec.resources = ResourceRequirements(requests: ["nvidia.com/gpu": "1"])
            try await harness.create(pause)

            // Suspend and resume `pause` while the others train.
            try await harness.eventually("pause's workers created") { try await harness.pods(of: "pause").count == 2 }
            let jobs = harness.client.resource(TrainingJob.self)
            _ = try await jobs.patch("pause", in: "default", .merge(["spec": ["runPolicy": ["suspend": true]]]))
            try await harness.waitFor("pause", timeout: .seconds(20), "Suspended") { $0?.status?.phase == .suspended }
            _ = try await jobs.patch("pause", in: "default", .merge(["spec": ["runPolicy": ["suspend": false]]]))
            try await harness.eventually("pause's workers recreated") { try await harness.pods(of: "pause").count == 2 }

            // Kill a worker of `kill` while the ring is held: the gang restarts; then let it finish.
            try await harness.waitUntilHeld("kill", atStep: 10)
            var pid: pid_t?
            try await harness.eventually("kill's worker 1 running (it is held, so it stays running)") {
                pid = try await harness.workerPID("kill", rank: 1)
                return pid != nil
            }
            kill(try #require(pid), SIGKILL)
            try await harness.waitFor("kill", timeout: .seconds(60), "the restart") { ($0?.status?.restartCount ?? 0) >= 1 }
            try harness.releaseHold("kill")

            try await harness.waitFor("ok", timeout: .seconds(90), "deletion after the TTL") { $0 == nil }
            let killed = try await harness.waitFor("kill", timeout: .seconds(120), "finished") { $0?.status?.phase?.isFinished ?? false }
            #expect(killed?.status?.phase == .succeeded)
            try await jobs.delete("pause", in: "default")
            try await harness.waitFor("pause", timeout: .seconds(20), "deleted") { $0 == nil }
            try await harness.eventually("pause's workers gone") { try await harness.pods(of: "pause").isEmpty }
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()

        let used = Set(recorder.all.map(RBACPermission.init))
        let granted = try Self.operatorGrants()
        let (missing, unused) = RBACPermission.audit(used: used, granted: granted)
        #expect(missing.isEmpty, "the operator used permissions config/rbac does not grant: \(missing)")
        let unjustified = unused.filter { Self.allowlist[$0] == nil }
        #expect(unjustified.isEmpty, "config/rbac grants permissions nothing used: \(unjustified)")
        // Every allowlisted permission is still granted and still unused, or it does not belong on the list.
        for permission in Self.allowlist.keys.sorted() {
            #expect(granted.contains(permission) && !used.contains(permission), "stale allowlist entry \(permission)")
        }
    }

    /// The workers run as separate `ringmaster-worker` processes with their
    /// own client, which this process cannot observe, and the local API server
    /// keeps no audit log; so instead of deriving their permissions from a
    /// request log, this pins the Role the operator gives them to exactly what
    /// the worker's status reporter does: get and patch on its own job's
    /// status, nothing else.
    @Test func workerRoleIsExactlyItsJobsStatus() throws {
        let job = OperatorHarness.smallJob("mnist")
        let role = WorkerRBACBuilder.role(job)
        let rules = try JSONValue(encoding: role)["rules"]?.arrayValue ?? []
        #expect(rules.count == 1)
        let rule = try #require(rules.first)
        #expect(rule["resourceNames"] == .array([.string("mnist")]))
        var unnamed = rule.objectValue ?? [:]
        unnamed["resourceNames"] = nil
        #expect(try RBACPermission.expand(rules: [.object(unnamed)]) == [
            RBACPermission(apiGroup: "ringmaster.dev", resource: "trainingjobs/status", verb: "get"),
            RBACPermission(apiGroup: "ringmaster.dev", resource: "trainingjobs/status", verb: "patch"),
        ])
        #expect(rule.objectValue.map { Set($0.keys) } == ["apiGroups", "resources", "resourceNames", "verbs"])
    }
}
