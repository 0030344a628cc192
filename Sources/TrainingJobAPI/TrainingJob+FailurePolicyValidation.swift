extension TrainingJobValidator {
    /// `spec.processesPerWorker`: in range, and 1 for the Ringmaster worker image.
    mutating func checkProcessesPerWorker(_ spec: TrainingJobSpec) {
        let field = "spec.processesPerWorker"
        checkRange(spec.processesPerWorker, 1...TrainingJobSchema.maxProcessesPerWorker, field)
        if spec.processesPerWorker > 1, spec.usesDefaultWorkerImage {
            add(.invalid, field,
                "must be 1 for the Ringmaster worker image, which runs one process per worker, got \(spec.processesPerWorker); "
                    + "set image and command to run a launcher such as torchrun")
        }
    }

    /// `spec.runPolicy.failurePolicy`: each rule well formed, and no rule
    /// made unreachable by an earlier one with another action.
    mutating func checkFailurePolicy(_ policy: FailurePolicySpec, _ base: String) {
        if policy.rules.count > TrainingJobSchema.maxFailurePolicyRules {
            add(.tooLong, "\(base).rules",
                "must list at most \(TrainingJobSchema.maxFailurePolicyRules) rules, got \(policy.rules.count)")
        }
        var wellFormed: [Int] = []
        for (index, rule) in policy.rules.enumerated() {
            if checkFailurePolicyRule(rule, "\(base).rules[\(index)]") { wellFormed.append(index) }
        }
        for later in wellFormed {
            let rule = policy.rules[later]
            guard let earlier = wellFormed.first(where: { $0 < later && policy.rules[$0].covers(rule) }) else { continue }
            let covering = policy.rules[earlier]
            if covering.action != rule.action {
                add(.invalid, "\(base).rules[\(later)]",
                    "can never apply: \(base).rules[\(earlier)] (\(covering.action)) matches every failure this rule "
                        + "(\(rule.action)) matches; remove one of them or put this rule first")
            }
        }
    }

    /// Checks one rule; returns whether it is well formed (so that it can
    /// be compared with the others).
    mutating func checkFailurePolicyRule(_ rule: FailurePolicyRule, _ field: String) -> Bool {
        let before = found.count
        checkKnown(rule.action, "\(field).action")
        switch (rule.onExitCodes, rule.onReasons) {
        case (nil, nil):
            add(.required, field, "must set one of onExitCodes and onReasons")
        case (_?, _?):
            add(.forbidden, field, "must set only one of onExitCodes and onReasons, not both")
        default:
            break
        }
        if let exit = rule.onExitCodes {
            let base = "\(field).onExitCodes"
            if let name = exit.containerName,
               name.count > ValidationPatterns.dns1123LabelMaxLength || !matches(name, ValidationPatterns.dns1123Label)
            {
                add(.invalid, "\(base).containerName",
                    "must be a container name (a DNS-1123 label: lower-case letters, digits and '-'), got \"\(name)\"")
            }
            checkKnown(exit.operator, "\(base).operator")
            if exit.values.isEmpty {
                add(.required, "\(base).values", "must list at least one exit code")
            } else if exit.values.count > TrainingJobSchema.maxExitCodeValues {
                add(.tooLong, "\(base).values",
                    "must list at most \(TrainingJobSchema.maxExitCodeValues) exit codes, got \(exit.values.count)")
            }
            var seen: Set<Int> = []
            for (index, value) in exit.values.enumerated() {
                if !seen.insert(value).inserted {
                    add(.duplicate, "\(base).values[\(index)]", "\(value) is listed more than once")
                }
                if value < Int(Int32.min) || value > Int(Int32.max) {
                    add(.invalid, "\(base).values[\(index)]", "must be a 32-bit integer, got \(value)")
                }
                if value == 0, exit.operator == .in {
                    add(.invalid, "\(base).values[\(index)]",
                        "exit code 0 is a success, not a failure, and cannot be matched with operator In")
                }
            }
        }
        if let reasons = rule.onReasons {
            let base = "\(field).onReasons"
            if reasons.isEmpty { add(.required, base, "must list at least one reason") }
            var seen: Set<PodFailureReason> = []
            for (index, reason) in reasons.enumerated() {
                checkKnown(reason, "\(base)[\(index)]")
                if !seen.insert(reason).inserted {
                    add(.duplicate, "\(base)[\(index)]", "\(reason) is listed more than once")
                }
            }
        }
        return found.count == before
    }
}
