import KubeClient

extension LabelSelectorQuery {
    /// A query from a structured `metav1.LabelSelector` (`matchLabels`,
    /// `matchExpressions`); nil for an operator it does not know, which then
    /// selects nothing.
    init?(selector: JSONValue) {
        do { try self.init(parsing: "") } catch { return nil }
        for (key, value) in selector["matchLabels"]?.objectValue ?? [:] {
            requirements.append(.equals(key, value.stringValue ?? ""))
        }
        for expression in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = Set((expression["values"]?.arrayValue ?? []).compactMap(\.stringValue))
            switch expression["operator"]?.stringValue {
            case "In": requirements.append(.isIn(key, values))
            case "NotIn": requirements.append(.notIn(key, values))
            case "Exists": requirements.append(.exists(key))
            case "DoesNotExist": requirements.append(.doesNotExist(key))
            default: return nil
            }
        }
    }
}
