import Foundation

/// A parsed label selector (`app=web,tier!=db,env in (a,b),!legacy`), as the
/// API server evaluates `labelSelector` query parameters.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    public enum Requirement: Sendable, Hashable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    public var requirements: [Requirement]

    public init(requirements: [Requirement]) { self.requirements = requirements }

    /// Every label in `labels` must match exactly.
    public init(matchLabels labels: [String: String]) {
        requirements = labels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }
    }

    /// Parses the query syntax. - Throws: `KubeClientError(.invalidRequest)` for malformed input.
    public init(parsing text: String) throws {
        var requirements: [Requirement] = []
        for clause in Self.splitClauses(text) {
            let part = clause.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            requirements.append(try Self.parseClause(part, in: text))
        }
        self.requirements = requirements
    }

    public func matches(_ labels: [String: String]?) -> Bool {
        let labels = labels ?? [:]
        for requirement in requirements {
            switch requirement {
            case .equals(let key, let value): if labels[key] != value { return false }
            case .notEquals(let key, let value): if labels[key] == value { return false }
            case .isIn(let key, let values): guard let value = labels[key], values.contains(value) else { return false }
            case .notIn(let key, let values): if let value = labels[key], values.contains(value) { return false }
            case .exists(let key): if labels[key] == nil { return false }
            case .doesNotExist(let key): if labels[key] != nil { return false }
            }
        }
        return true
    }

    public var description: String {
        requirements.map { requirement -> String in
            switch requirement {
            case .equals(let key, let value): return "\(key)=\(value)"
            case .notEquals(let key, let value): return "\(key)!=\(value)"
            case .isIn(let key, let values): return "\(key) in (\(values.sorted().joined(separator: ",")))"
            case .notIn(let key, let values): return "\(key) notin (\(values.sorted().joined(separator: ",")))"
            case .exists(let key): return key
            case .doesNotExist(let key): return "!\(key)"
            }
        }.joined(separator: ",")
    }

    private static func splitClauses(_ text: String) -> [String] {
        var clauses: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == "," && depth == 0 {
                clauses.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        clauses.append(current)
        return clauses
    }

    private static func parseClause(_ clause: String, in text: String) throws -> Requirement {
        func bad() -> KubeClientError {
            KubeClientError(.invalidRequest, "invalid label selector \"\(text)\": cannot parse \"\(clause)\"")
        }
        func key(_ raw: Substring) throws -> String {
            let key = raw.trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, !key.contains(" ") else { throw bad() }
            return key
        }
        func set(_ raw: Substring) throws -> Set<String> {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("("), trimmed.hasSuffix(")") else { throw bad() }
            let inner = trimmed.dropFirst().dropLast()
            return Set(inner.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) })
        }
        if clause.hasPrefix("!") { return .doesNotExist(try key(clause.dropFirst())) }
        if let range = clause.range(of: " notin ") {
            return .notIn(try key(clause[..<range.lowerBound]), try set(clause[range.upperBound...]))
        }
        if let range = clause.range(of: " in ") {
            return .isIn(try key(clause[..<range.lowerBound]), try set(clause[range.upperBound...]))
        }
        if let range = clause.range(of: "!=") {
            return .notEquals(try key(clause[..<range.lowerBound]),
                              clause[range.upperBound...].trimmingCharacters(in: .whitespaces))
        }
        if let range = clause.range(of: "==") ?? clause.range(of: "=") {
            return .equals(try key(clause[..<range.lowerBound]),
                           clause[range.upperBound...].trimmingCharacters(in: .whitespaces))
        }
        if clause.contains(where: { "()<>".contains($0) }) { throw bad() }
        return .exists(try key(clause[...]))
    }
}
