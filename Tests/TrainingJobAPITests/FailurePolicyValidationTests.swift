import Foundation
import KubeClient
import Testing
@testable import TrainingJobAPI

/// `spec.runPolicy.failurePolicy` and `spec.processesPerWorker` in
/// `TrainingJob.validate()`: each problem names its field, down to the rule
/// and the value.
@Suite struct FailurePolicyValidationTests {
    static let base = "spec.runPolicy.failurePolicy.rules"

    static func job(_ rules: [FailurePolicyRule]) -> TrainingJob {
        var job = Fixtures.validJob()
        job.spec.runPolicy.failurePolicy = FailurePolicySpec(rules: rules)
        return job
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var rules: [FailurePolicyRule]
        /// The only problem expected, or nil for a valid policy.
        var field: String?
        var code: ValidationProblem.Code?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "fail on 42, ignore evictions", rules: [
            .exitCodes(.failJob, .in, [42]), .reasons(.restartJobAndIgnoreBackoffLimit, [.evicted, .preempted]),
        ]),
        .init(name: "NotIn may list 0", rules: [.exitCodes(.restartJob, .notIn, [0, 1])]),
        .init(name: "the same rule twice with the same action is redundant, not contradictory",
              rules: [.exitCodes(.failJob, .in, [42]), .exitCodes(.failJob, .in, [42])]),
        .init(name: "a later rule that overlaps only in part stays reachable",
              rules: [.exitCodes(.failJob, .in, [42]), .exitCodes(.restartJob, .in, [42, 43])]),
        .init(name: "a later rule broader in containers stays reachable",
              rules: [.exitCodes(.failJob, .in, [42], containerName: "worker"), .exitCodes(.restartJob, .in, [42])]),
        .init(name: "an exit-code rule never hides a reason rule",
              rules: [.exitCodes(.failJob, .notIn, [1]), .reasons(.restartJob, [.oomKilled])]),
        .init(name: "unknown action", rules: [.exitCodes("Ignore", .in, [42])],
              field: "\(base)[0].action", code: .notSupported),
        .init(name: "neither matcher", rules: [FailurePolicyRule(action: .failJob)], field: "\(base)[0]", code: .required),
        .init(name: "both matchers", rules: [
            FailurePolicyRule(action: .failJob, onExitCodes: .init(operator: .in, values: [42]), onReasons: [.oomKilled]),
        ], field: "\(base)[0]", code: .forbidden),
        .init(name: "no exit codes", rules: [.exitCodes(.failJob, .in, [])], field: "\(base)[0].onExitCodes.values", code: .required),
        .init(name: "duplicate exit code", rules: [.exitCodes(.failJob, .in, [42, 7, 42])],
              field: "\(base)[0].onExitCodes.values[2]", code: .duplicate),
        .init(name: "exit code 0 with In", rules: [.reasons(.failJob, [.oomKilled]), .exitCodes(.failJob, .in, [3, 0])],
              field: "\(base)[1].onExitCodes.values[1]", code: .invalid),
        .init(name: "unknown operator", rules: [.exitCodes(.failJob, "Equals", [42])],
              field: "\(base)[0].onExitCodes.operator", code: .notSupported),
        .init(name: "bad container name", rules: [.exitCodes(.failJob, .in, [42], containerName: "Worker_1")],
              field: "\(base)[0].onExitCodes.containerName", code: .invalid),
        .init(name: "no reasons", rules: [.reasons(.failJob, [])], field: "\(base)[0].onReasons", code: .required),
        .init(name: "unknown reason", rules: [.reasons(.failJob, [.oomKilled, "Crashed"])],
              field: "\(base)[0].onReasons[1]", code: .notSupported),
        .init(name: "duplicate reason", rules: [.reasons(.failJob, [.evicted, .evicted])],
              field: "\(base)[0].onReasons[1]", code: .duplicate),
        .init(name: "42 FailJob then 42 RestartJob", rules: [.exitCodes(.failJob, .in, [42]), .exitCodes(.restartJob, .in, [42])],
              field: "\(base)[1]", code: .invalid),
        .init(name: "a later subset with another action", rules: [
            .reasons(.failJob, [.oomKilled]), .exitCodes(.failJob, .in, [42, 43]),
            .exitCodes(.restartJobAndIgnoreBackoffLimit, .in, [43]),
        ], field: "\(base)[2]", code: .invalid),
        .init(name: "NotIn 1 hides In 42", rules: [.exitCodes(.failJob, .notIn, [1]), .exitCodes(.restartJob, .in, [42])],
              field: "\(base)[1]", code: .invalid),
        .init(name: "NotIn 1,2 hides NotIn 1,2,3",
              rules: [.exitCodes(.restartJob, .notIn, [1, 2]), .exitCodes(.failJob, .notIn, [1, 2, 3])],
              field: "\(base)[1]", code: .invalid),
        .init(name: "any container hides one container",
              rules: [.exitCodes(.failJob, .in, [42]), .exitCodes(.restartJob, .in, [42], containerName: "worker")],
              field: "\(base)[1]", code: .invalid),
        .init(name: "reasons hide a subset of reasons",
              rules: [.reasons(.failJob, [.oomKilled, .evicted]), .reasons(.restartJob, [.evicted])],
              field: "\(base)[1]", code: .invalid),
        .init(name: "too many rules", rules: (1...21).map { .exitCodes(.failJob, .in, [$0]) },
              field: base, code: .tooLong),
    ]

    @Test(arguments: cases)
    func rulesAreChecked(_ c: Case) {
        let problems = Self.job(c.rules).validate()
        if let field = c.field {
            #expect(problems.map(\.field) == [field], "\(problems)")
            #expect(problems.first?.code == c.code, "\(problems)")
        } else {
            #expect(problems == [], "\(problems)")
        }
    }

    @Test func aContradictionNamesBothRulesAndTheirActions() throws {
        let problems = Self.job([.exitCodes(.failJob, .in, [42]), .exitCodes(.restartJob, .in, [42])]).validate()
        let problem = try #require(problems.first)
        #expect(problem.description
            == "spec.runPolicy.failurePolicy.rules[1]: can never apply: spec.runPolicy.failurePolicy.rules[0] (FailJob) "
            + "matches every failure this rule (RestartJob) matches; remove one of them or put this rule first")
    }

    @Test func zeroWithInSaysWhy() throws {
        let problem = try #require(Self.job([.exitCodes(.failJob, .in, [0])]).validate().first)
        #expect(problem.message.contains("0 is a success"))
    }

    @Test func theDefaultRulesAreThemselvesValid() {
        #expect(Self.job(FailurePolicySpec.defaultRules).validate() == [])
    }

    @Test func rulesDecodeFromYAMLAndRoundTrip() throws {
        let job = try TrainingJob(yaml: """
            apiVersion: ringmaster.dev/v1alpha1
            kind: TrainingJob
            metadata: {name: rules}
            spec:
              runPolicy:
                failurePolicy:
                  rules:
                  - {action: FailJob, onExitCodes: {containerName: worker, operator: In, values: [42, 43]}}
                  - {action: RestartJobAndIgnoreBackoffLimit, onReasons: [Evicted, Preempted]}
            """)
        let rules = try #require(job.spec.runPolicy.failurePolicy?.rules)
        #expect(rules == [
            .exitCodes(.failJob, .in, [42, 43], containerName: "worker"),
            .reasons(.restartJobAndIgnoreBackoffLimit, [.evicted, .preempted]),
        ])
        let again = try JSONDecoder().decode(TrainingJob.self, from: JSONEncoder().encode(job))
        #expect(again.spec.runPolicy.failurePolicy == job.spec.runPolicy.failurePolicy)
        #expect(job.validate() == [])
    }

    // MARK: processesPerWorker

    @Test(arguments: [
        (processes: 1, command: false, field: nil),
        (processes: 2, command: true, field: nil),
        (processes: 2, command: false, field: "spec.processesPerWorker"),
        (processes: 0, command: true, field: "spec.processesPerWorker"),
        (processes: 257, command: true, field: "spec.processesPerWorker"),
    ] as [(processes: Int, command: Bool, field: String?)])
    func processesPerWorker(_ c: (processes: Int, command: Bool, field: String?)) {
        var job = Fixtures.validJob()
        job.spec.processesPerWorker = c.processes
        if c.command {
            job.spec.image = "example.com/torch:2"
            job.spec.command = ["torchrun", "/workspace/train.py"]
        }
        let problems = job.validate()
        #expect(problems.map(\.field) == (c.field.map { [$0] } ?? []), "\(problems)")
    }

    @Test func processesPerWorkerDefaultsToOne() throws {
        let job = try TrainingJob(yaml: "apiVersion: ringmaster.dev/v1alpha1\nkind: TrainingJob\nmetadata: {name: a}\nspec: {}\n")
        #expect(job.spec.processesPerWorker == 1)
    }

    @Test(arguments: ["PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT"])
    func torchrunVariablesAreReserved(_ name: String) {
        var job = Fixtures.validJob()
        job.spec.template = PodTemplateOverlay(env: [EnvVar(name: name, value: "1"), EnvVar(name: "PET_RDZV_BACKEND", value: "c10d")])
        let problems = job.validate()
        #expect(problems.map(\.field) == ["spec.template.env[0].name"], "\(problems)")
        #expect(problems.first?.code == .forbidden)
    }
}
