import KubeClient

extension TrainingJob {
    /// Every problem with this job, all at once (empty when valid).
    ///
    /// Checks everything the CRD's schema and CEL rules check (for clusters
    /// that do not evaluate them) and what they cannot say: name length,
    /// label and annotation keys, reserved names, quantities.
    public func validate() -> [ValidationProblem] {
        var problems = TrainingJobValidator()
        problems.checkMetadata(metadata)
        problems.checkSpec(spec)
        return problems.found
    }

    /// `validate()` plus the rules of an update: `spec.model` and
    /// `spec.dataset` cannot change once the job exists.
    public func validateUpdate(from old: TrainingJob) -> [ValidationProblem] {
        var problems = validate()
        if spec.model != old.spec.model {
            problems.append(.init(.forbidden, field: "spec.model", message: "is immutable; create a new TrainingJob to train another model"))
        }
        if spec.dataset != old.spec.dataset {
            problems.append(.init(.forbidden, field: "spec.dataset", message: "is immutable; create a new TrainingJob to train on other data"))
        }
        return problems
    }

    /// Throws `TrainingJobValidationError` listing every problem, if any.
    public func validated() throws -> TrainingJob {
        let problems = validate()
        if !problems.isEmpty { throw TrainingJobValidationError(problems: problems) }
        return self
    }
}

/// Collects problems while walking a TrainingJob.
struct TrainingJobValidator {
    var found: [ValidationProblem] = []

    /// Environment variables the operator sets; the template may not override them.
    static let reservedEnvNames: Set<String> = Set([
        WorkerEnvironment.Key.rank, WorkerEnvironment.Key.worldSize,
        WorkerEnvironment.Key.masterAddress, WorkerEnvironment.Key.masterPort,
    ]).union(WorkerEnvironment.Key.torchrunKeys)
    static let reservedEnvPrefix = "RINGMASTER_"
    static let reservedLabelPrefix = "ringmaster.dev/"

    mutating func add(_ code: ValidationProblem.Code, _ field: String, _ message: String) {
        found.append(ValidationProblem(code, field: field, message: message))
    }

    // MARK: metadata

    mutating func checkMetadata(_ metadata: ObjectMeta) {
        guard let name = metadata.name, !name.isEmpty else {
            if (metadata.generateName ?? "").isEmpty {
                add(.required, "metadata.name", "is required")
            }
            return
        }
        if name.count > ValidationPatterns.jobNameMaxLength {
            add(.tooLong, "metadata.name",
                "must be at most \(ValidationPatterns.jobNameMaxLength) characters so that worker Pod names fit in a host name, got \(name.count)")
        }
        if !matches(name, ValidationPatterns.dns1035Label) {
            add(.invalid, "metadata.name",
                "must consist of lower-case letters, digits and '-', start with a letter and end with a letter or digit, got \"\(name)\"")
        }
    }

    // MARK: spec

    mutating func checkSpec(_ spec: TrainingJobSpec) {
        checkRange(spec.workers, 1...TrainingJobSchema.maxWorkers, "spec.workers")
        checkProcessesPerWorker(spec)
        if spec.image.isEmpty {
            add(.required, "spec.image", "must not be empty; leave it out to use \(TrainingJobDefaults.image)")
        } else if spec.image.contains(where: \.isWhitespace) {
            add(.invalid, "spec.image", "must not contain whitespace, got \"\(spec.image)\"")
        }
        if let command = spec.command, command.isEmpty {
            add(.invalid, "spec.command", "must not be empty when set; leave it out to use the image's entrypoint")
        }
        if let resources = spec.resources {
            checkQuantities(resources.limits, "spec.resources.limits")
            checkQuantities(resources.requests, "spec.resources.requests")
        }
        checkModel(spec.model)
        checkHyperparameters(spec.hyperparameters, workers: spec.workers)
        checkDataset(spec.dataset)
        checkStorage(spec.storage)
        checkRunPolicy(spec.runPolicy)
        if let template = spec.template { checkTemplate(template) }
    }

    mutating func checkModel(_ model: ModelSpec) {
        let field = "spec.model.hiddenLayers"
        if model.hiddenLayers.isEmpty || model.hiddenLayers.count > TrainingJobSchema.maxHiddenLayers {
            add(.invalid, field, "must list between 1 and \(TrainingJobSchema.maxHiddenLayers) layer widths, got \(model.hiddenLayers.count)")
        }
        for (index, width) in model.hiddenLayers.enumerated() {
            checkRange(width, 1...TrainingJobSchema.maxLayerWidth, "\(field)[\(index)]")
        }
    }

    mutating func checkHyperparameters(_ hp: HyperparametersSpec, workers: Int) {
        let base = "spec.hyperparameters"
        checkRange(hp.epochs, 1...TrainingJobSchema.maxEpochs, "\(base).epochs")
        checkRange(hp.batchSize, 1...TrainingJobSchema.maxBatchSize, "\(base).batchSize")
        if workers >= 1, hp.batchSize >= 1, hp.batchSize % workers != 0 {
            let lower = max(workers, hp.batchSize / workers * workers)
            add(.invalid, "\(base).batchSize",
                "must be a multiple of spec.workers (\(workers)) so that every worker gets an equal share, got \(hp.batchSize); try \(lower)")
        }
        if !hp.learningRate.isFinite || hp.learningRate <= 0 || hp.learningRate > TrainingJobSchema.maxLearningRate {
            add(.invalid, "\(base).learningRate",
                "must be greater than 0 and at most \(TrainingJobSchema.maxLearningRate), got \(hp.learningRate)")
        }
        checkKnown(hp.learningRateSchedule, "\(base).learningRateSchedule")
        checkKnown(hp.optimizer, "\(base).optimizer")
        if !hp.momentum.isFinite || hp.momentum < 0 || hp.momentum >= 1 {
            add(.invalid, "\(base).momentum", "must be at least 0 and less than 1, got \(hp.momentum)")
        }
        if hp.seed < 0 { add(.invalid, "\(base).seed", "must not be negative, got \(hp.seed)") }
        if hp.checkpointEverySteps < 0 {
            add(.invalid, "\(base).checkpointEverySteps",
                "must not be negative (0 checkpoints only at epoch ends), got \(hp.checkpointEverySteps)")
        }
    }

    mutating func checkDataset(_ dataset: DatasetSpec) {
        let base = "spec.dataset"
        checkKnown(dataset.source, "\(base).source")
        checkKnown(dataset.format, "\(base).format")
        if !DatasetSpec.builtinNames.contains(dataset.name) {
            add(.notSupported, "\(base).name",
                "must be one of \(DatasetSpec.builtinNames.joined(separator: ", ")), got \"\(dataset.name)\"")
        }
        switch dataset.source {
        case .path:
            if let path = dataset.path {
                if !path.hasPrefix("/") {
                    add(.invalid, "\(base).path", "must be an absolute path, got \"\(path)\"")
                } else if dataset.volume != nil, !path.hasPrefix(DatasetSpec.volumeMountPath + "/") {
                    add(.invalid, "\(base).path",
                        "must lie under \(DatasetSpec.volumeMountPath)/, where dataset.volume is mounted, got \"\(path)\"")
                }
            } else {
                add(.required, "\(base).path", "is required when dataset.source is path")
            }
        case .builtin:
            if dataset.path != nil {
                add(.forbidden, "\(base).path", "must not be set when dataset.source is builtin; set source: path to read files")
            }
            if dataset.format != .idx {
                add(.invalid, "\(base).format", "built-in data sets are in idx format, got \(dataset.format)")
            }
            if dataset.volume != nil {
                add(.forbidden, "\(base).volume", "requires dataset.source path")
            }
        default:
            break
        }
        if dataset.format == .csv, dataset.labelColumn.isEmpty {
            add(.required, "\(base).labelColumn", "must name the label column of the CSV files")
        }
        if let limit = dataset.trainLimit, limit < 1 {
            add(.invalid, "\(base).trainLimit", "must be at least 1 (leave it out to use every sample), got \(limit)")
        }
        if let limit = dataset.testLimit, limit < 1 {
            add(.invalid, "\(base).testLimit", "must be at least 1 (leave it out to use every sample), got \(limit)")
        }
        if let volume = dataset.volume { checkSubdomain(volume, "\(base).volume") }
    }

    mutating func checkStorage(_ storage: StorageSpec) {
        let base = "spec.storage"
        checkKnown(storage.retainPolicy, "\(base).retainPolicy")
        if let size = storage.size {
            if storage.existingClaim != nil {
                add(.forbidden, "\(base).size", "must not be set together with storage.existingClaim; remove one of them")
            }
            checkQuantity(size, "\(base).size", positive: true)
        }
        if let claim = storage.existingClaim {
            checkSubdomain(claim, "\(base).existingClaim")
            if storage.storageClassName != nil {
                add(.forbidden, "\(base).storageClassName",
                    "applies only to a claim the operator creates, not to storage.existingClaim")
            }
        }
        if let storageClass = storage.storageClassName { checkSubdomain(storageClass, "\(base).storageClassName") }
    }

    mutating func checkRunPolicy(_ policy: RunPolicy) {
        let base = "spec.runPolicy"
        checkRange(policy.backoffLimit, 0...TrainingJobSchema.maxBackoffLimit, "\(base).backoffLimit")
        if let seconds = policy.activeDeadlineSeconds, seconds < 1 {
            add(.invalid, "\(base).activeDeadlineSeconds", "must be at least 1, got \(seconds)")
        }
        if let seconds = policy.ttlSecondsAfterFinished, seconds < 0 {
            add(.invalid, "\(base).ttlSecondsAfterFinished", "must not be negative, got \(seconds)")
        }
        checkKnown(policy.cleanPodPolicy, "\(base).cleanPodPolicy")
        if let seconds = policy.progressDeadlineSeconds, seconds < 1 {
            add(.invalid, "\(base).progressDeadlineSeconds", "must be at least 1 (leave it out to disable stall detection), got \(seconds)")
        }
        checkRange(policy.restartBackoffSeconds, 0...TrainingJobSchema.maxRestartBackoffSeconds, "\(base).restartBackoffSeconds")
        if let failurePolicy = policy.failurePolicy { checkFailurePolicy(failurePolicy, "\(base).failurePolicy") }
    }

    mutating func checkTemplate(_ template: PodTemplateOverlay) {
        let base = "spec.template"
        for (key, value) in (template.labels ?? [:]).sorted(by: { $0.key < $1.key }) {
            checkLabelKey(key, "\(base).labels[\(key)]", reserved: true)
            checkLabelValue(value, "\(base).labels[\(key)]")
        }
        for key in (template.annotations ?? [:]).keys.sorted() {
            checkLabelKey(key, "\(base).annotations[\(key)]", reserved: true)
        }
        for (key, value) in (template.nodeSelector ?? [:]).sorted(by: { $0.key < $1.key }) {
            checkLabelKey(key, "\(base).nodeSelector[\(key)]", reserved: false)
            checkLabelValue(value, "\(base).nodeSelector[\(key)]")
        }
        for (index, toleration) in (template.tolerations ?? []).enumerated() {
            let field = "\(base).tolerations[\(index)]"
            if let op = toleration.operator, op != "Exists", op != "Equal" {
                add(.notSupported, "\(field).operator", "must be one of Exists, Equal, got \"\(op)\"")
            }
            if toleration.operator == "Exists", let value = toleration.value, !value.isEmpty {
                add(.invalid, "\(field).value", "must be empty when operator is Exists, got \"\(value)\"")
            }
            if let effect = toleration.effect, !effect.isEmpty, !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(effect) {
                add(.notSupported, "\(field).effect", "must be one of NoSchedule, PreferNoSchedule, NoExecute, got \"\(effect)\"")
            }
        }
        if let affinity = template.affinity, affinity.objectValue == nil {
            add(.invalid, "\(base).affinity", "must be an object (a core/v1 Affinity)")
        }
        if let name = template.priorityClassName { checkSubdomain(name, "\(base).priorityClassName") }
        if let name = template.serviceAccountName { checkSubdomain(name, "\(base).serviceAccountName") }
        if let env = template.env, env.count > TrainingJobSchema.maxEnvVars {
            add(.tooLong, "\(base).env", "must list at most \(TrainingJobSchema.maxEnvVars) variables, got \(env.count)")
        }
        var seen: Set<String> = []
        for (index, variable) in (template.env ?? []).enumerated() {
            let field = "\(base).env[\(index)]"
            if variable.name.isEmpty {
                add(.required, "\(field).name", "is required")
            } else if !matches(variable.name, ValidationPatterns.envVarName) {
                add(.invalid, "\(field).name",
                    "must consist of letters, digits, '_', '-' and '.', and not start with a digit, got \"\(variable.name)\"")
            } else if Self.reservedEnvNames.contains(variable.name) || variable.name.hasPrefix(Self.reservedEnvPrefix) {
                add(.forbidden, "\(field).name",
                    "\(variable.name) is set by the operator (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, PET_NNODES, PET_NPROC_PER_NODE, PET_NODE_RANK, PET_MASTER_ADDR, PET_MASTER_PORT and RINGMASTER_* are reserved)")
            }
            if !variable.name.isEmpty, !seen.insert(variable.name).inserted {
                add(.duplicate, "\(field).name", "\(variable.name) is listed more than once")
            }
            if variable.value != nil, variable.valueFrom != nil {
                add(.invalid, field, "set value or valueFrom, not both")
            }
        }
    }

    // MARK: building blocks

    mutating func checkRange(_ value: Int, _ range: ClosedRange<Int>, _ field: String) {
        if !range.contains(value) {
            add(.invalid, field, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
    }

    mutating func checkKnown<Value: OpenEnumeration>(_ value: Value, _ field: String) {
        if !value.isKnown {
            add(.notSupported, field,
                "must be one of \(Value.knownRawValues.joined(separator: ", ")), got \"\(value.rawValue)\"")
        }
    }

    mutating func checkSubdomain(_ name: String, _ field: String) {
        if name.count > ValidationPatterns.dns1123SubdomainMaxLength {
            add(.tooLong, field, "must be at most \(ValidationPatterns.dns1123SubdomainMaxLength) characters, got \(name.count)")
        } else if !matches(name, ValidationPatterns.dns1123Subdomain) {
            add(.invalid, field,
                "must be a DNS subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, got \"\(name)\"")
        }
    }

    mutating func checkQuantities(_ quantities: [String: Quantity]?, _ field: String) {
        for (resource, quantity) in (quantities ?? [:]).sorted(by: { $0.key < $1.key }) {
            checkLabelKey(resource, "\(field)[\(resource)]", reserved: false)
            checkQuantity(quantity, "\(field)[\(resource)]", positive: false)
        }
    }

    mutating func checkQuantity(_ quantity: Quantity, _ field: String, positive: Bool) {
        let text = quantity.value
        guard matches(text, ValidationPatterns.quantity) else {
            add(.invalid, field, "must be a quantity such as 500m, 2 or 4Gi, got \"\(text)\"")
            return
        }
        if text.hasPrefix("-") {
            add(.invalid, field, "must not be negative, got \(text)")
        } else if positive, Self.isZero(text) {
            add(.invalid, field, "must be greater than zero, got \(text)")
        }
    }

    /// Whether a syntactically valid quantity's number part is zero.
    static func isZero(_ quantity: String) -> Bool {
        let number = quantity.prefix { $0.isNumber || $0 == "." || $0 == "+" }
        return !number.contains { $0.isNumber && $0 != "0" }
    }

    mutating func checkLabelKey(_ key: String, _ field: String, reserved: Bool) {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        let name = String(parts.last ?? "")
        if parts.count > 2 {
            add(.invalid, field, "a key has at most one '/', got \"\(key)\"")
            return
        }
        if parts.count == 2 {
            let prefix = String(parts[0])
            if prefix.count > ValidationPatterns.dns1123SubdomainMaxLength || !matches(prefix, ValidationPatterns.dns1123Subdomain) {
                add(.invalid, field, "the prefix of a key must be a DNS subdomain, got \"\(prefix)\"")
            }
        }
        if name.count > ValidationPatterns.qualifiedNameMaxLength || !matches(name, ValidationPatterns.qualifiedName) {
            add(.invalid, field,
                "a key's name must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, got \"\(name)\"")
        }
        if reserved, key.hasPrefix(Self.reservedLabelPrefix) {
            add(.forbidden, field, "keys under \(Self.reservedLabelPrefix) are set by the operator")
        }
    }

    mutating func checkLabelValue(_ value: String, _ field: String) {
        if value.count > ValidationPatterns.labelValueMaxLength || !matches(value, ValidationPatterns.labelValue) {
            add(.invalid, field,
                "a value must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, got \"\(value)\"")
        }
    }

    func matches(_ value: String, _ pattern: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return value.firstMatch(of: regex) != nil
    }
}
