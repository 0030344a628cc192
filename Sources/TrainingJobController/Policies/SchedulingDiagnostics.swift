import Foundation
/// Rolls the `PodScheduled=False` messages of pending workers up into one
/// line for the job's message: `2/4 workers unschedulable: Insufficient nvidia.com/gpu`.
public enum SchedulingDiagnostics {
    /// nil when no worker is unschedulable.
    public static func summary(_ workers: [WorkerObservation], expectedWorkers: Int) -> String? {
        let stuck = workers.filter { $0.phase == .pending && $0.unschedulableMessage != nil }
        guard !stuck.isEmpty else { return nil }
        var found: [String] = []
        for worker in stuck {
            for reason in reasons(in: worker.unschedulableMessage ?? "") where !found.contains(reason) {
                found.append(reason)
            }
        }
        return "\(stuck.count)/\(expectedWorkers) workers unschedulable: \(found.joined(separator: ", "))"
    }

    /// The reasons in a scheduler message: `0/3 nodes are available: 1
    /// Insufficient cpu, 2 Insufficient nvidia.com/gpu.` gives `Insufficient
    /// cpu` and `Insufficient nvidia.com/gpu`. Other messages are kept whole.
    public static func reasons(in message: String) -> [String] {
        var text = Substring(message.trimmingCharacters(in: .whitespaces))
        if let range = text.range(of: "nodes are available:") {
            text = text[range.upperBound...]
        }
        if text.hasSuffix(".") { text = text.dropLast() }
        let parts = text.split(separator: ",").map { part -> String in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            let words = trimmed.split(separator: " ", maxSplits: 1)
            if words.count == 2, Int(words[0]) != nil { return String(words[1]) }
            return trimmed
        }.filter { !$0.isEmpty }
        return parts.isEmpty ? [message] : parts
    }
}
