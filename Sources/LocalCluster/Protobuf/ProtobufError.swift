/// A malformed or unexpected protobuf body, named by where it went wrong.
struct ProtobufError: Error, Sendable, Hashable, CustomStringConvertible {
    var message: String

    init(_ message: String) { self.message = message }

    var description: String { message }

    static let truncated = ProtobufError("the protobuf message ends in the middle of a field")
}
