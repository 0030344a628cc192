import Testing
@testable import TrainingJobAPI

/// How one rule matches a failure, and when an earlier rule hides a later one.
@Suite struct FailurePolicyRuleMatchingTests {
    struct MatchCase: Sendable, CustomTestStringConvertible {
        var name: String
        var rule: FailurePolicyRule
        var evidence: FailureEvidence
        var matches: Bool
        var testDescription: String { name }
    }

    static let worker42 = FailureEvidence(exitCodes: ["worker": 42])

    static let matchCases: [MatchCase] = [
        .init(name: "In: the code is listed", rule: .exitCodes(.failJob, .in, [41, 42]), evidence: worker42, matches: true),
        .init(name: "In: the code is not listed", rule: .exitCodes(.failJob, .in, [41]), evidence: worker42, matches: false),
        .init(name: "NotIn: the code is not listed", rule: .exitCodes(.failJob, .notIn, [1]), evidence: worker42, matches: true),
        .init(name: "NotIn: the code is listed", rule: .exitCodes(.failJob, .notIn, [42]), evidence: worker42, matches: false),
        .init(name: "NotIn never matches success", rule: .exitCodes(.failJob, .notIn, [1]),
              evidence: FailureEvidence(exitCodes: ["worker": 0]), matches: false),
        .init(name: "no exit code (an evicted Pod) matches no exit-code rule", rule: .exitCodes(.failJob, .notIn, [1]),
              evidence: FailureEvidence(reasons: [.evicted]), matches: false),
        .init(name: "any container", rule: .exitCodes(.failJob, .in, [42]),
              evidence: FailureEvidence(exitCodes: ["worker": 1, "helper": 42]), matches: true),
        .init(name: "only the named container", rule: .exitCodes(.failJob, .in, [42], containerName: "worker"),
              evidence: FailureEvidence(exitCodes: ["worker": 1, "helper": 42]), matches: false),
        .init(name: "the named container", rule: .exitCodes(.failJob, .in, [42], containerName: "worker"),
              evidence: worker42, matches: true),
        .init(name: "a listed reason", rule: .reasons(.failJob, [.oomKilled, .evicted]),
              evidence: FailureEvidence(exitCodes: ["worker": 137], reasons: [.oomKilled]), matches: true),
        .init(name: "an unlisted reason", rule: .reasons(.failJob, [.oomKilled]),
              evidence: FailureEvidence(reasons: [.preempted]), matches: false),
        .init(name: "a rule without a matcher matches nothing", rule: FailurePolicyRule(action: .failJob),
              evidence: worker42, matches: false),
    ]

    @Test(arguments: matchCases)
    func matches(_ c: MatchCase) {
        #expect(c.rule.matches(c.evidence) == c.matches)
    }

    /// Today's behaviour of the Ringmaster worker, as the default rules give it.
    @Test(arguments: [
        (FailureEvidence(exitCodes: ["worker": 20]), 0 as Int?),
        (FailureEvidence(reasons: [.imagePullFailed]), 1),
        (FailureEvidence(exitCodes: ["worker": 143], reasons: [.evicted]), 2),
        (FailureEvidence(reasons: [.preempted]), 2),
        (FailureEvidence(reasons: [.nodeLost]), 2),
        (FailureEvidence(reasons: [.deleted]), 2),
        (FailureEvidence(exitCodes: ["worker": 10]), nil),
        (FailureEvidence(exitCodes: ["worker": 137], reasons: [.oomKilled]), nil),
    ])
    func defaultRules(_ evidence: FailureEvidence, _ expected: Int?) {
        let index = FailurePolicySpec.defaultRules.firstIndex { $0.matches(evidence) }
        #expect(index == expected)
    }

    @Test func theDefaultRulesSayWhatTheyDo() {
        let actions = FailurePolicySpec.defaultRules.map(\.action)
        #expect(actions == [.failJob, .failJob, .restartJobAndIgnoreBackoffLimit])
    }

    @Test(arguments: [
        (FailurePolicyRule.exitCodes(.failJob, .in, [1, 2]), FailurePolicyRule.exitCodes(.failJob, .in, [2]), true),
        (.exitCodes(.failJob, .in, [2]), .exitCodes(.failJob, .in, [1, 2]), false),
        (.exitCodes(.failJob, .notIn, [1]), .exitCodes(.failJob, .in, [2, 3]), true),
        (.exitCodes(.failJob, .notIn, [1]), .exitCodes(.failJob, .in, [1, 3]), false),
        (.exitCodes(.failJob, .notIn, [1]), .exitCodes(.failJob, .notIn, [1, 2]), true),
        (.exitCodes(.failJob, .notIn, [1, 2]), .exitCodes(.failJob, .notIn, [1]), false),
        (.exitCodes(.failJob, .in, [1]), .exitCodes(.failJob, .notIn, [2]), false),
        (.exitCodes(.failJob, .in, [1], containerName: "a"), .exitCodes(.failJob, .in, [1], containerName: "a"), true),
        (.exitCodes(.failJob, .in, [1], containerName: "a"), .exitCodes(.failJob, .in, [1], containerName: "b"), false),
        (.exitCodes(.failJob, .in, [1]), .exitCodes(.failJob, .in, [1], containerName: "b"), true),
        (.reasons(.failJob, [.evicted, .preempted]), .reasons(.failJob, [.preempted]), true),
        (.reasons(.failJob, [.evicted]), .reasons(.failJob, [.evicted, .preempted]), false),
        (.reasons(.failJob, [.oomKilled]), .exitCodes(.failJob, .in, [137]), false),
    ])
    func covers(_ earlier: FailurePolicyRule, _ later: FailurePolicyRule, _ expected: Bool) {
        #expect(earlier.covers(later) == expected)
    }
}
