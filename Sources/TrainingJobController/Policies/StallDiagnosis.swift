import Foundation
import KubeClient
import TrainingJobAPI

/// Which rank holds a stalled ring up, read from the workers' heartbeats
/// (`status.ranks`) of the current restart attempt.
///
/// In a synchronous ring the healthy ranks block inside the collective at
/// the step where one rank stopped, so step counts alone cannot tell the
/// culprit. The heartbeats can: each rank beats from a task of its own, so a
/// rank waiting in an all-reduce keeps beating and a stopped one does not.
/// In order:
/// 1. a rank that is silent (no heartbeat of this attempt, or none for more
///    than `silentAfterSeconds`): the one silent longest, then the lowest rank;
/// 2. else a rank that is not waiting for its peers (in a collective or
///    joining the ring): a hang in its own work, such as its data loader;
///    the one at it longest;
/// 3. else (every rank waits in a collective) the one with the lowest step,
///    then the one that entered its collective last, then the lowest rank.
/// When no rank of this attempt has ever beaten (heartbeats off, or an image
/// that does not write them), rank 0, the progress reporter, is named.
public struct StallDiagnosis: Sendable, Hashable {
    /// The rank named, and its Pod.
    public var rank: Int
    public var pod: String
    /// Why, in words: the named rank first, then what the others do; for
    /// example `rank 1 (job-worker-1) sent no heartbeat for 64s; ranks 0, 2, 3 waiting in all-reduce at step 120`.
    public var explanation: String

    public init(rank: Int, pod: String, explanation: String) {
        self.rank = rank
        self.pod = pod
        self.explanation = explanation
    }

    /// A rank is silent once its newest heartbeat is older than this:
    /// two missed beats and a second of slack for the write and the watch.
    public static func silentAfterSeconds(heartbeatSeconds: Double) -> Double {
        2 * heartbeatSeconds + 1
    }

    /// Names the rank to blame among ranks `0..<workers` (pure).
    ///
    /// - Parameters:
    ///   - ranks: `status.ranks`; entries whose `attempt` is not `attempt` are ignored.
    ///   - attempt: the current restart attempt (`status.restartCount`).
    ///   - heartbeatSeconds: the interval the workers were told to beat at.
    public static func diagnose(
        ranks: [String: RankStatus]?, attempt: Int, workers: Int, names: ChildNames, heartbeatSeconds: Double, now: Date
    ) -> StallDiagnosis {
        struct Rank {
            var rank: Int
            var entry: RankStatus?
            var heartbeat: Date?
            var activitySince: Date?
            var step: Int { entry?.step ?? -1 }
            var activity: RankActivity? { entry?.activity }
            /// Waiting for peers: in a collective, or joining the ring (which waits for the last rank to start).
            var waiting: Bool { activity.map { $0.isCollective || $0 == .joining } ?? false }
        }
        let all = (0..<max(workers, 1)).map { rank -> Rank in
            let entry = ranks?[String(rank)].flatMap { $0.attempt == attempt ? $0 : nil }
            return Rank(
                rank: rank, entry: entry, heartbeat: entry?.heartbeatTime.flatMap(RFC3339.parse),
                activitySince: entry?.activitySince.flatMap(RFC3339.parse))
        }
        func seconds(since date: Date?) -> Int { date.map { max(0, Int(now.timeIntervalSince($0).rounded())) } ?? 0 }
        func name(_ rank: Int) -> String { "rank \(rank) (\(names.worker(rank)))" }

        guard all.contains(where: { $0.heartbeat != nil }) else {
            return StallDiagnosis(
                rank: 0, pod: names.worker(0),
                explanation: "no rank of restart attempt \(attempt) reported a heartbeat in status.ranks, so rank 0, "
                    + "which reports progress, is named")
        }

        let silentAfter = silentAfterSeconds(heartbeatSeconds: heartbeatSeconds)
        let silent = all.filter { $0.heartbeat.map { now.timeIntervalSince($0) > silentAfter } ?? true }
        let culprit: Rank
        let why: String
        if let oldest = silent.min(by: { ($0.heartbeat ?? .distantPast, $0.rank) < ($1.heartbeat ?? .distantPast, $1.rank) }) {
            culprit = oldest
            if let beat = oldest.heartbeat {
                why = "\(name(oldest.rank)) sent no heartbeat for \(seconds(since: beat))s"
                    + (oldest.entry?.step.map { " (last at step \($0)" + (oldest.activity.map { ", \($0.words))" } ?? ")") } ?? "")
            } else {
                why = "\(name(oldest.rank)) sent no heartbeat in restart attempt \(attempt)"
            }
        } else if let busy = all.filter({ !$0.waiting }).min(by: {
            ($0.activitySince ?? .distantPast, $0.step, $0.rank) < ($1.activitySince ?? .distantPast, $1.step, $1.rank)
        }) {
            culprit = busy
            let doing = busy.activity?.words ?? "not in a collective"
            why = "\(name(busy.rank)) has been \(doing) for \(seconds(since: busy.activitySince))s"
                + (busy.entry?.step.map { " at step \($0)" } ?? "") + " while its heartbeat is fresh"
        } else {
            let slowest = all.min {
                ($0.step, -($0.activitySince ?? .distantPast).timeIntervalSince1970, $0.rank)
                    < ($1.step, -($1.activitySince ?? .distantPast).timeIntervalSince1970, $1.rank)
            }!
            culprit = slowest
            let behind = all.contains { $0.step > slowest.step }
            why = "\(name(slowest.rank)) is " + (behind ? "behind at step \(slowest.step)" : "the last to enter its collective at step \(slowest.step)")
        }

        // What the others do, grouped: "ranks 0, 2, 3 waiting in all-reduce at step 120".
        var groups: [(key: String, ranks: [Int])] = []
        for other in all where other.rank != culprit.rank {
            let key: String
            if other.heartbeat == nil {
                key = "without a heartbeat"
            } else if let heartbeat = other.heartbeat, now.timeIntervalSince(heartbeat) > silentAfter {
                key = "silent for \(seconds(since: heartbeat))s"
            } else {
                key = (other.activity?.words ?? "in an unknown state") + (other.entry?.step.map { " at step \($0)" } ?? "")
            }
            if let index = groups.firstIndex(where: { $0.key == key }) {
                groups[index].ranks.append(other.rank)
            } else {
                groups.append((key, [other.rank]))
            }
        }
        let others = groups.map { ($0.ranks.count == 1 ? "rank " : "ranks ") + $0.ranks.map(String.init).joined(separator: ", ") + " " + $0.key }
        return StallDiagnosis(
            rank: culprit.rank, pod: names.worker(culprit.rank),
            explanation: ([why] + others).joined(separator: "; "))
    }
}
