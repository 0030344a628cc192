import KubeClient
import Testing
@testable import TrainingJobAPI

@Suite struct ConditionTests {
    @Test func transitionTimeChangesOnlyWithStatus() {
        var status = TrainingJobStatus()
        var changed = false
        changed = status.setCondition(.created, status: "True", reason: "JobCreated", message: "a", now: "T1")
        #expect(changed)
        #expect(status.condition(.created)?.lastTransitionTime == "T1")
        // Same status, new message: updated, time kept.
        changed = status.setCondition(.created, status: "True", reason: "JobCreated", message: "b", now: "T2")
        #expect(changed)
        #expect(status.condition(.created)?.lastTransitionTime == "T1")
        #expect(status.condition(.created)?.message == "b")
        // Nothing new: no change reported.
        changed = status.setCondition(.created, status: "True", reason: "JobCreated", message: "b", now: "T3")
        #expect(!changed)
        // Status flips: time moves.
        changed = status.setCondition(.created, status: "False", reason: "X", message: "b", now: "T4")
        #expect(changed)
        #expect(status.condition(.created)?.lastTransitionTime == "T4")
        #expect(status.conditions.count == 1)
    }

    @Test func exactlyThePhaseConditionIsTrue() {
        var status = TrainingJobStatus()
        var changed = false
        status.setCondition(.created, status: ConditionStatus.true, reason: TrainingJobReason.jobCreated, message: "created", now: "T0")
        status.setPhase(.pending, reason: TrainingJobReason.waitingForWorkers, message: "Waiting for 2 workers", now: "T0")
        #expect(status.conditionRuleViolation == nil)
        #expect(status.phase == .pending)

        let sequence: [(TrainingJobPhase, String)] = [
            (.running, TrainingJobReason.allWorkersRunning),
            (.restarting, TrainingJobReason.workerFailed),
            (.running, TrainingJobReason.allWorkersRunning),
            (.suspended, TrainingJobReason.jobSuspended),
            (.running, TrainingJobReason.allWorkersRunning),
            (.failed, TrainingJobReason.backoffLimitExceeded),
        ]
        for (index, (phase, reason)) in sequence.enumerated() {
            let now = "T\(index + 1)"
            changed = status.setPhase(phase, reason: reason, message: "now \(phase)", now: now)
            #expect(changed)
            #expect(status.phase == phase)
            #expect(status.message == "now \(phase)")
            #expect(status.conditionRuleViolation == nil, "after \(phase)")
            let active = phase.condition!
            #expect(status.condition(active)?.reason == reason)
            #expect(status.condition(active)?.lastTransitionTime == now)
            #expect(status.isTrue(.created))
        }
        // Restarting went False when the job ran again, and kept that time afterwards.
        #expect(status.condition(.restarting)?.status == "False")
        #expect(status.condition(.restarting)?.lastTransitionTime == "T3")
        #expect(status.condition(.restarting)?.reason == TrainingJobReason.phaseChanged)
        // Setting the same phase again changes nothing.
        changed = status.setPhase(.failed, reason: TrainingJobReason.backoffLimitExceeded, message: "now Failed", now: "T9")
        #expect(!changed)
    }

    @Test func ruleViolationIsDetected() {
        var status = TrainingJobStatus(phase: .running)
        status.setCondition(.running, status: "True", reason: "A", message: "", now: "T")
        status.setCondition(.failed, status: "True", reason: "B", message: "", now: "T")
        #expect(status.conditionRuleViolation != nil)
        #expect(TrainingJobPhase.succeeded.isFinished && TrainingJobPhase.failed.isFinished)
        #expect(!TrainingJobPhase.running.isFinished)
    }
}
