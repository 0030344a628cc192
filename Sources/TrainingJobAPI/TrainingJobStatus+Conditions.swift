import KubeClient

/// Reading and writing conditions.
///
/// The rule the operator keeps: `Created` is True once the job was accepted;
/// among `TrainingJobConditionType.phaseConditions` (Running, Restarting,
/// Succeeded, Failed, Suspended) exactly the one named by `status.phase` is
/// True and every other one present is False (none is True while Pending).
/// `setPhase` is the only write the operator needs to keep that rule.
extension TrainingJobStatus {
    /// The condition of `type`, if present.
    public func condition(_ type: TrainingJobConditionType) -> Condition? {
        conditions.first { $0.type == type.rawValue }
    }

    /// Whether the condition of `type` is present with status True.
    public func isTrue(_ type: TrainingJobConditionType) -> Bool {
        condition(type)?.status == ConditionStatus.true
    }

    /// Sets the condition of `type`, adding it when absent.
    ///
    /// `lastTransitionTime` becomes `now` only when the status changes (or the
    /// condition is new); reason, message and observedGeneration are always
    /// updated. Returns whether anything changed.
    @discardableResult
    public mutating func setCondition(
        _ type: TrainingJobConditionType, status: String, reason: String, message: String,
        now: String, observedGeneration: Int64? = nil
    ) -> Bool {
        guard let index = conditions.firstIndex(where: { $0.type == type.rawValue }) else {
            conditions.append(Condition(
                type: type.rawValue, status: status, observedGeneration: observedGeneration,
                lastTransitionTime: now, reason: reason, message: message))
            return true
        }
        var updated = conditions[index]
        if updated.status != status {
            updated.status = status
            updated.lastTransitionTime = now
        }
        updated.reason = reason
        updated.message = message
        if let observedGeneration { updated.observedGeneration = observedGeneration }
        guard updated != conditions[index] else { return false }
        conditions[index] = updated
        return true
    }

    /// Moves the job to `phase`: sets `phase` and `message`, sets the phase's
    /// condition True with `reason` and `message`, and every other phase
    /// condition already present to False (reason `PhaseChanged`).
    /// Condition times follow `setCondition`. Returns whether anything changed.
    @discardableResult
    public mutating func setPhase(
        _ phase: TrainingJobPhase, reason: String, message: String, now: String,
        observedGeneration: Int64? = nil
    ) -> Bool {
        var changed = self.phase != phase || self.message != message
        self.phase = phase
        self.message = message
        let active = phase.condition
        if let active {
            changed = setCondition(
                active, status: ConditionStatus.true, reason: reason, message: message,
                now: now, observedGeneration: observedGeneration) || changed
        }
        for type in TrainingJobConditionType.phaseConditions where type != active {
            guard let existing = condition(type), existing.status != ConditionStatus.false else { continue }
            changed = setCondition(
                type, status: ConditionStatus.false, reason: TrainingJobReason.phaseChanged,
                message: "The job is \(phase.rawValue).", now: now,
                observedGeneration: observedGeneration) || changed
        }
        return changed
    }

    /// The rule above, checked: nil when it holds, otherwise what is wrong.
    public var conditionRuleViolation: String? {
        let trueOnes = TrainingJobConditionType.phaseConditions.filter { isTrue($0) }
        let expected = phase?.condition
        if trueOnes.count > 1 {
            return "several phase conditions are True: \(trueOnes.map(\.rawValue).joined(separator: ", "))"
        }
        if trueOnes.first != expected {
            return "phase \(phase?.rawValue ?? "<unset>") but True phase condition is \(trueOnes.first?.rawValue ?? "<none>")"
        }
        return nil
    }
}
