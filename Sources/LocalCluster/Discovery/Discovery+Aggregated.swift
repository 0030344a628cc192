import Foundation
import KubeClient

/// Aggregated discovery (`apidiscovery.k8s.io/v2`), what kubectl and
/// client-go ask `/api` and `/apis` for first: one document per root listing
/// every group, version and resource, with scope, singular name, verbs, short
/// names, categories and subresources. A client that does not ask for it
/// (by `Accept`) gets the legacy documents, which say the same.
extension Discovery {
    /// The media type of an aggregated discovery answer.
    static let aggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

    /// Whether an `Accept` header asks for aggregated discovery v2 (as JSON).
    static func wantsAggregated(_ accept: String) -> Bool {
        accept.split(separator: ",").contains { entry in
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first?.lowercased() == "application/json" else { return false }
            var parameters: [String: String] = [:]
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { parameters[pair[0].lowercased()] = pair[1] }
            }
            return parameters["g"] == "apidiscovery.k8s.io" && parameters["v"] == "v2" && parameters["as"] == "APIGroupDiscoveryList"
        }
    }

    /// The answer to `GET /api` (`core`) or `GET /apis`: aggregated when `accept` asks for it, legacy otherwise.
    func root(core: Bool, accept: String) -> APIResponse {
        guard Self.wantsAggregated(accept) else { return .json(core ? coreVersions() : groupList()) }
        return .full(code: 200, contentType: Self.aggregatedContentType, body: JSONCoding.encode(aggregated(core: core)))
    }

    /// The `APIGroupDiscoveryList` of the core group (`core`) or of every other group.
    func aggregated(core: Bool) -> JSONValue {
        let groups: [(String, [String])] = core ? [("", ["v1"])] : groups()
        let items = groups.map { name, versions -> JSONValue in
            var metadata: [String: JSONValue] = [:]
            if !name.isEmpty { metadata["name"] = .string(name) }
            return .object([
                "metadata": .object(metadata),
                "versions": .array(versions.map { version in
                    .object([
                        "version": .string(version),
                        "resources": .array(servedTypes(group: name, version: version).map(aggregatedResource)
                            + ReviewResource.all.filter { $0.group == name && $0.version == version }.map(\.aggregatedDiscoveryEntry)),
                        "freshness": .string("Current"),
                    ])
                }),
            ])
        }
        return .object([
            "kind": .string("APIGroupDiscoveryList"), "apiVersion": .string("apidiscovery.k8s.io/v2"),
            "metadata": .object([:]), "items": .array(items),
        ])
    }

    private func aggregatedResource(_ type: ResourceType) -> JSONValue {
        func kind(_ name: String) -> JSONValue {
            .object(["group": .string(type.group), "version": .string(type.version), "kind": .string(name)])
        }
        var entry: [String: JSONValue] = [
            "resource": .string(type.plural), "responseKind": kind(type.kind),
            "scope": .string(type.namespaced ? "Namespaced" : "Cluster"), "singularResource": .string(type.singular),
            "verbs": .array(type.verbs.map(JSONValue.string)),
        ]
        if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map(JSONValue.string)) }
        if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map(JSONValue.string)) }
        let subresources = Self.subresources(of: type)
        if !subresources.isEmpty {
            entry["subresources"] = .array(subresources.map { subresource in
                .object([
                    "subresource": .string(subresource.name),
                    "responseKind": subresource.responseGroupVersion.map {
                        .object(["group": .string($0.group), "version": .string($0.version), "kind": .string(subresource.kind)])
                    } ?? kind(subresource.kind),
                    "verbs": .array(subresource.verbs.map(JSONValue.string)),
                ])
            })
        }
        return .object(entry)
    }

    /// The types served in one group version, by plural.
    func servedTypes(group: String, version: String) -> [ResourceType] {
        types.filter { $0.group == group && $0.version == version }.sorted { $0.plural < $1.plural }
    }

    /// The subresources the server serves for `type`: name, kind of the answer, verbs.
    /// `responseGroupVersion` is set when the answer's kind is of another group than `type`'s.
    static func subresources(
        of type: ResourceType
    ) -> [(name: String, kind: String, verbs: [String], responseGroupVersion: (group: String, version: String)?)] {
        var result: [(name: String, kind: String, verbs: [String], responseGroupVersion: (group: String, version: String)?)] = []
        if type.hasStatus { result.append(("status", type.kind, ["get", "patch", "update"], nil)) }
        if type.group.isEmpty && type.plural == "pods" {
            result.append(("log", "Pod", ["get"], nil))
            result.append(("binding", "Binding", ["create"], nil))
        }
        if type.group.isEmpty && type.plural == "serviceaccounts" {
            result.append(("token", "TokenRequest", ["create"], ("authentication.k8s.io", "v1")))
        }
        return result
    }
}
