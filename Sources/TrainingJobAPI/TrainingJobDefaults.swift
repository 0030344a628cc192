import KubeClient

/// Every default of the TrainingJob API, in one place.
///
/// The Swift decoders fill absent fields from these values, and the CRD
/// generator declares the same values as OpenAPI `default`s, so a TrainingJob
/// means the same thing whether the API server or the operator defaulted it
/// (a test applies the CRD's defaults to sample objects and compares).
public enum TrainingJobDefaults {
    /// The version of the Ringmaster worker image the API defaults to.
    public static let workerImageVersion = "0.1.0"
    /// `spec.image` when none is given: the Ringmaster worker runtime.
    public static let image = "ghcr.io/ringmaster-dev/ringmaster-worker:\(workerImageVersion)"
    public static let workers = 1
    public static let processesPerWorker = 1
    public static let hiddenLayers = [256, 128]
    public static let epochs = 1
    /// The global batch size (split evenly over the workers).
    public static let batchSize = 64
    public static let learningRate = 0.01
    public static let learningRateSchedule = LearningRateSchedule.constant
    public static let optimizer = Optimizer.sgd
    public static let momentum = 0.9
    public static let seed = 0
    public static let checkpointEverySteps = 100
    public static let datasetSource = DatasetSource.builtin
    public static let datasetName = "fashion-mnist"
    public static let datasetFormat = DatasetFormat.idx
    public static let datasetLabelColumn = "label"
    public static let retainPolicy = RetainPolicy.delete
    public static let backoffLimit = 3
    public static let cleanPodPolicy = CleanPodPolicy.running
    public static let suspend = false
    public static let restartBackoffSeconds = 10
    /// The claim size the operator requests when neither `storage.size` nor
    /// `storage.existingClaim` is set. Not a schema default, because the CRD
    /// forbids `size` together with `existingClaim`.
    public static let storageSize: Quantity = "1Gi"
}
