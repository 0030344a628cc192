import TrainingJobController

/// The default worker image, for the help text.
enum TrainingJobDefaultsImage {
    static var value: String { WorkerPodSettings().image(for: .init()) }
}
