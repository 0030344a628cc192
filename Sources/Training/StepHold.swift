import Foundation

/// Test-only fault injection: holds every rank after one optimizer step until
/// a release file exists, so that a test can act on a job in a known state
/// (training, past a known step, unable to finish) however fast the machine
/// trains.
///
/// Without it, a test that waits for a worker to run and then kills it
/// races the job: a small job can finish between the test seeing it run and
/// the kill. Held, the job cannot finish until the test creates the file.
///
/// It wraps the trainer's observer: after forwarding the `.progress` event of
/// `step`, it polls for `releaseFile` every `pollInterval` and returns once
/// the file exists (or the task is cancelled). Ranks are held outside any
/// collective, so no peer times out while the ring waits. A ring restarted
/// from a checkpoint before `step` is held again when it gets back there,
/// until the file exists; after that, it passes. The worker builds one from
/// `FAULT_HOLD_AFTER_STEP` and `FAULT_HOLD_RELEASE_FILE`.
public struct StepHold: TrainingObserver {
    /// The global step after which every rank waits.
    public var step: Int
    /// The file whose existence releases the hold.
    public var releaseFile: String
    public var pollInterval: Duration
    /// The observer that receives every event first.
    public var next: (any TrainingObserver)?

    public init(step: Int, releaseFile: String, pollInterval: Duration = .milliseconds(100), next: (any TrainingObserver)?) {
        self.step = step
        self.releaseFile = releaseFile
        self.pollInterval = pollInterval
        self.next = next
    }

    public func trainingEvent(_ event: TrainingEvent) async {
        await next?.trainingEvent(event)
        guard case .progress(let progress) = event, progress.step == step else { return }
        while !FileManager.default.fileExists(atPath: releaseFile) {
            do { try await Task.sleep(for: pollInterval) } catch { return }
        }
    }
}
