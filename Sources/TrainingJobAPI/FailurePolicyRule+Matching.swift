extension FailurePolicyRule {
    /// Whether this rule matches a failure.
    ///
    /// - `onExitCodes` with `In`: some container (the named one, or any)
    ///   terminated with one of the values.
    /// - `onExitCodes` with `NotIn`: some container (the named one, or any)
    ///   terminated with a non-zero code that is none of the values.
    /// - `onReasons`: the failure has one of the reasons.
    ///
    /// A rule with both matchers needs both; one with neither never matches
    /// (validation rejects both shapes).
    public func matches(_ evidence: FailureEvidence) -> Bool {
        guard onExitCodes != nil || onReasons != nil else { return false }
        if let exit = onExitCodes {
            let codes = evidence.exitCodes.filter { exit.containerName == nil || $0.key == exit.containerName }.values
            let values = Set(exit.values)
            let hit: Bool
            switch exit.operator {
            case .in: hit = codes.contains { values.contains(Int($0)) }
            case .notIn: hit = codes.contains { $0 != 0 && !values.contains(Int($0)) }
            default: hit = false
            }
            if !hit { return false }
        }
        if let reasons = onReasons, evidence.reasons.isDisjoint(with: reasons) { return false }
        return true
    }

    /// Whether every failure that `later` matches is also matched by this
    /// rule, as far as can be proved from the two rules alone: then `later`,
    /// placed after this rule, can never decide anything.
    ///
    /// Proved cases (with this rule's `containerName` unset or equal to
    /// `later`'s): `In A` covers `In B` when B ⊆ A; `NotIn A` covers `In B`
    /// when no value of B is in A (and B has no 0); `NotIn A` covers `NotIn B`
    /// when A ⊆ B; reasons A cover reasons B when B ⊆ A. An exit-code rule and
    /// a reason rule never cover each other.
    public func covers(_ later: FailurePolicyRule) -> Bool {
        if let mine = onReasons, onExitCodes == nil, let theirs = later.onReasons, later.onExitCodes == nil {
            return !theirs.isEmpty && Set(theirs).isSubset(of: Set(mine))
        }
        guard let mine = onExitCodes, onReasons == nil, let theirs = later.onExitCodes, later.onReasons == nil else {
            return false
        }
        if let name = mine.containerName, name != theirs.containerName { return false }
        let a = Set(mine.values)
        let b = Set(theirs.values)
        switch (mine.operator, theirs.operator) {
        case (.in, .in): return !b.isEmpty && b.isSubset(of: a)
        case (.notIn, .in): return !b.isEmpty && a.isDisjoint(with: b) && !b.contains(0)
        case (.notIn, .notIn): return a.isSubset(of: b)
        default: return false
        }
    }
}
