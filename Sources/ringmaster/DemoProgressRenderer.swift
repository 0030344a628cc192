import Foundation
import Synchronization
import TrainingJobAPI

/// Prints a TrainingJob's progress as `kubectl get tj -w` would: one line
/// per change of phase, readiness, epoch or restarts. On a terminal the
/// current line is also rewritten in place as step, loss and accuracy move.
final class DemoProgressRenderer: Sendable {
    private struct State {
        var lastMajor: String?
        var lastLine: String?
        var lineOpen = false
    }

    private let interactive: Bool
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    init(interactive: Bool) {
        self.interactive = interactive
    }

    /// The column header.
    var header: String {
        Self.columns(["TIME", "PHASE", "READY", "EPOCH", "STEP", "LOSS", "ACCURACY", "RESTARTS"])
    }

    /// Shows `job` if what is shown of it changed.
    func show(_ job: TrainingJob) {
        let status = job.status ?? TrainingJobStatus()
        let progress = status.progress
        let phase = status.phase?.rawValue ?? "Pending"
        let ready = status.workersReady ?? "0/\(job.spec.workers)"
        let epoch = progress?.epoch.map { "\($0)/\(progress?.totalEpochs ?? job.spec.hyperparameters.epochs)" } ?? "-"
        let restarts = "\(status.restartCount ?? 0)"
        let step = progress?.step.map(String.init) ?? "-"
        // The same text as kubectl's LOSS and ACCURACY columns.
        let loss = progress?.lossDisplay ?? "-"
        let accuracy = progress?.accuracyDisplay ?? "-"
        let seconds = Int((ContinuousClock.now - started).components.seconds)
        let time = String(format: "%d:%02d", seconds / 60, seconds % 60)
        let major = [phase, ready, epoch, restarts].joined(separator: "|")
        let minor = [step, loss, accuracy].joined(separator: "|")
        let line = Self.columns([time, phase, ready, epoch, step, loss, accuracy, restarts])
        var output = ""
        state.withLock { state in
            let majorChanged = state.lastMajor != major
            let minorChanged = state.lastLine != major + minor
            guard majorChanged || (interactive && minorChanged) else { return }
            if interactive {
                // Rewrite the open line for small moves; keep it and open a new one when the state changes.
                output = (state.lineOpen && !majorChanged ? "\r\u{1B}[K" : (state.lineOpen ? "\n" : "")) + line
                state.lineOpen = true
            } else {
                output = line + "\n"
            }
            state.lastMajor = major
            state.lastLine = major + minor
        }
        if !output.isEmpty { FileHandle.standardOutput.write(Data(output.utf8)) }
    }

    /// Ends the open line.
    func finish() {
        let open = state.withLock { state in
            defer { state.lineOpen = false }
            return state.lineOpen
        }
        if open { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }

    private static func columns(_ values: [String]) -> String {
        let widths = [6, 11, 6, 7, 7, 8, 9, 8]
        return zip(values, widths).map { value, width in
            value.count >= width ? value + " " : value + String(repeating: " ", count: width - value.count)
        }.joined().trimmingCharacters(in: .whitespaces)
    }
}
