import Foundation
import KubeClient
import Testing
import TrainingJobAPI
@testable import TrainingJobController

/// Which rank a stalled ring is blamed on, from the workers' heartbeats.
@Suite struct StallDiagnosisTests {
    /// One rank's heartbeat: attempt, step, heartbeat time, activity, activity since (seconds after t0).
    typealias Beat = (attempt: Int, step: Int, beat: Int, activity: RankActivity, since: Int)

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var beats: [Int: Beat]
        var rank: Int
        var explanation: [String]
        var testDescription: String { name }
    }

    static let waiting: Beat = (1, 120, 198, .allReduce, 131)

    static let cases: [Case] = [
        Case(
            name: "a stopped rank falls silent while its peers wait in all-reduce",
            beats: [0: waiting, 1: (1, 119, 130, .computing, 129), 2: waiting, 3: waiting], rank: 1,
            explanation: ["rank 1 (mnist-worker-1) sent no heartbeat for 70s (last at step 119, computing)",
                          "ranks 0, 2, 3 waiting in all-reduce at step 120"]),
        Case(
            name: "a rank without a heartbeat of this attempt is named; the old attempt's entry is ignored",
            beats: [0: waiting, 1: waiting, 2: (0, 300, 199, .computing, 199), 3: waiting], rank: 2,
            explanation: ["rank 2 (mnist-worker-2) sent no heartbeat in restart attempt 1", "ranks 0, 1, 3 waiting in all-reduce at step 120"]),
        Case(
            name: "of two silent ranks the one silent longer",
            beats: [0: waiting, 1: (1, 119, 120, .computing, 110), 2: waiting, 3: (1, 120, 150, .allReduce, 131)], rank: 1,
            explanation: ["rank 1 (mnist-worker-1) sent no heartbeat for 80s", "ranks 0, 2 waiting in all-reduce at step 120", "rank 3 silent for 50s"]),
        Case(
            name: "all beating: the rank stuck in its own work (a hung data loader)",
            beats: [0: waiting, 1: waiting, 2: waiting, 3: (1, 120, 199, .computing, 100)], rank: 3,
            explanation: ["rank 3 (mnist-worker-3) has been computing for 100s at step 120 while its heartbeat is fresh",
                          "ranks 0, 1, 2 waiting in all-reduce at step 120"]),
        Case(
            name: "all beating and waiting: the rank behind",
            beats: [0: waiting, 1: waiting, 2: (1, 119, 197, .allReduce, 160), 3: waiting], rank: 2,
            explanation: ["rank 2 (mnist-worker-2) is behind at step 119", "ranks 0, 1, 3 waiting in all-reduce at step 120"]),
        Case(
            name: "all beating, waiting, same step: the last to enter",
            beats: [0: (1, 120, 199, .allReduce, 150), 1: waiting, 2: waiting, 3: waiting], rank: 0,
            explanation: ["rank 0 (mnist-worker-0) is the last to enter its collective at step 120",
                          "ranks 1, 2, 3 waiting in all-reduce at step 120"]),
        Case(
            name: "a rank that never started while its peers wait to join the ring",
            beats: [0: (1, 0, 199, .joining, 150), 2: (1, 0, 198, .joining, 151), 3: (1, 0, 199, .joining, 150)], rank: 1,
            explanation: ["rank 1 (mnist-worker-1) sent no heartbeat in restart attempt 1", "ranks 0, 2, 3 joining the ring at step 0"]),
        Case(
            name: "no heartbeats at all: rank 0, the progress reporter",
            beats: [1: (0, 10, 199, .allReduce, 190)], rank: 0,
            explanation: ["no rank of restart attempt 1 reported a heartbeat in status.ranks"]),
    ]

    @Test(arguments: cases)
    func namesTheRank(_ c: Case) {
        var ranks: [String: RankStatus] = [:]
        for (rank, beat) in c.beats {
            ranks[String(rank)] = RankStatus(
                attempt: beat.attempt, step: beat.step, heartbeatTime: Fixtures.time(beat.beat),
                activity: beat.activity, activitySince: Fixtures.time(beat.since))
        }
        let diagnosis = StallDiagnosis.diagnose(
            ranks: ranks, attempt: 1, workers: 4, names: ChildNames(job: "mnist"), heartbeatSeconds: 10, now: Fixtures.at(200))
        #expect(diagnosis.rank == c.rank)
        #expect(diagnosis.pod == "mnist-worker-\(c.rank)")
        for part in c.explanation {
            #expect(diagnosis.explanation.contains(part), "\(diagnosis.explanation)")
        }
    }

    @Test(arguments: [(nil, 0.0), (0, 0), (4, 1), (6, 1), (9, 1.5), (30, 5), (60, 10), (600, 10)] as [(Int?, Double)])
    func heartbeatIntervalIsASixthOfTheDeadlineWithinOneToTenSeconds(deadline: Int?, seconds: Double) {
        #expect(StallPolicy.heartbeatSeconds(progressDeadlineSeconds: deadline) == seconds)
    }

    @Test func aRankIsSilentAfterTwoMissedBeatsAndASecond() {
        #expect(StallDiagnosis.silentAfterSeconds(heartbeatSeconds: 1.5) == 4)
        #expect(StallDiagnosis.silentAfterSeconds(heartbeatSeconds: 10) == 21)
    }
}
