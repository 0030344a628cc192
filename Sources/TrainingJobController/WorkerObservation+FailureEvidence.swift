import TrainingJobAPI

extension WorkerObservation {
    /// What failure policy rules see of this worker: its containers' exit
    /// codes (only once the Pod has failed) and the reasons it stopped.
    public var failureEvidence: FailureEvidence {
        FailureEvidence(exitCodes: phase == .failed ? containerExitCodes : [:], reasons: failureReasons)
    }

    /// The `PodFailureReason`s this observation shows; empty for a healthy
    /// worker. A disruption whose kind cannot be told counts as `Evicted`.
    public var failureReasons: Set<PodFailureReason> {
        var reasons: Set<PodFailureReason> = []
        let disruption = disruptionReason ?? ""
        if reason == "OOMKilled" { reasons.insert(.oomKilled) }
        if reason == "Evicted" || ["EvictionByEvictionAPI", "TerminationByKubelet"].contains(disruption) {
            reasons.insert(.evicted)
        }
        if reason == "Preempting" || disruption == "PreemptionByScheduler" { reasons.insert(.preempted) }
        if ["NodeLost", "NodeRestart", "Shutdown", "Terminated", "DeletionByTaintManager"].contains(reason ?? "")
            || ["DeletionByTaintManager", "DeletionByPodGC"].contains(disruption)
        {
            reasons.insert(.nodeLost)
        }
        if disrupted, reasons.isDisjoint(with: [.evicted, .preempted, .nodeLost]) { reasons.insert(.evicted) }
        if terminating && !isFinished { reasons.insert(.deleted) }
        if imagePullFailed { reasons.insert(.imagePullFailed) }
        return reasons
    }
}
