/// A key the job's `spec.template` set that the operator's own value
/// overrode. Reported as a Warning event; the operator's value is used.
public struct OverlayCollision: Sendable, Hashable, CustomStringConvertible {
    public enum Field: String, Sendable, Hashable {
        case label, annotation, env
    }

    public var field: Field
    public var key: String

    public init(_ field: Field, _ key: String) {
        self.field = field
        self.key = key
    }

    public var description: String {
        switch field {
        case .label: "spec.template.labels[\(key)] is set by the operator; the template's value is ignored"
        case .annotation: "spec.template.annotations[\(key)] is set by the operator; the template's value is ignored"
        case .env: "spec.template.env \(key) is set by the operator; the template's value is ignored"
        }
    }
}
