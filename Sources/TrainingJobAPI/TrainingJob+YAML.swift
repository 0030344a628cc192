import KubeClient

extension TrainingJob {
    /// Decodes a TrainingJob from a YAML document (as `kubectl apply -f` reads it).
    public init(yaml: String) throws {
        let documents = try JSONValue.documents(yaml: yaml)
        guard documents.count == 1, let document = documents.first else {
            throw YAMLConversionError(description: "expected one YAML document, got \(documents.count)")
        }
        self = try document.decode(as: TrainingJob.self)
    }
}
