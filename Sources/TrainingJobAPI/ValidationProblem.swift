/// One thing wrong with a TrainingJob: which field, and what to do about it.
///
/// `description` reads `spec.workers: must be between 1 and 1024, got 0`.
public struct ValidationProblem: Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem, as in Kubernetes' `field.ErrorType`.
    public enum Code: String, Sendable, Hashable {
        /// A required field is missing.
        case required = "FieldValueRequired"
        /// A value is malformed or out of range.
        case invalid = "FieldValueInvalid"
        /// A value is not one of the allowed values.
        case notSupported = "FieldValueNotSupported"
        /// A field is set where it must not be.
        case forbidden = "FieldValueForbidden"
        /// A value occurs twice where it must be unique.
        case duplicate = "FieldValueDuplicate"
        /// A string or list is too long.
        case tooLong = "FieldValueTooLong"
    }

    public var code: Code
    /// The path of the field, as `kubectl explain` writes it with indices:
    /// `spec.model.hiddenLayers[1]`, `spec.template.labels[team]`.
    public var field: String
    /// What is wrong and what is expected, including the value found.
    public var message: String

    public init(_ code: Code, field: String, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// A TrainingJob failed validation; carries every problem at once.
public struct TrainingJobValidationError: Error, Sendable, CustomStringConvertible {
    public var problems: [ValidationProblem]

    public init(problems: [ValidationProblem]) { self.problems = problems }

    /// All problems on one line, for a condition message.
    public var description: String {
        "invalid TrainingJob: " + problems.map(\.description).joined(separator: "; ")
    }
}
