import Foundation
import KubeClient

/// The discovery documents: the legacy ones (`/api`, `/api/v1`, `/apis`,
/// `/apis/<g>`, `/apis/<g>/<v>`, `/version`) here, and aggregated discovery
/// (apidiscovery.k8s.io/v2) on `/api` and `/apis` for the clients that ask
/// for it (`Discovery+Aggregated.swift`).
struct Discovery {
    var types: [ResourceType]
    var customGroupVersions: [String: [String]]
    var serverAddress: String

    static func version() -> JSONValue {
        .object([
            "major": .string("1"), "minor": .string("37"), "gitVersion": .string("v1.37.0-ringmaster-local"),
            "gitCommit": .string("0000000000000000000000000000000000000000"), "gitTreeState": .string("clean"),
            "buildDate": .string("2026-01-01T00:00:00Z"), "goVersion": .string("swift6"), "compiler": .string("swiftc"),
            "platform": .string("linux/amd64"),
        ])
    }

    func coreVersions() -> JSONValue {
        .object([
            "kind": .string("APIVersions"), "versions": .array([.string("v1")]),
            "serverAddressByClientCIDRs": .array([.object(["clientCIDR": .string("0.0.0.0/0"), "serverAddress": .string(serverAddress)])]),
        ])
    }

    /// Group name -> versions in preference order, for every group but core.
    func groups() -> [(String, [String])] {
        var result: [(String, [String])] = []
        var seen: Set<String> = []
        for type in ResourceType.builtIn where !type.group.isEmpty && !seen.contains(type.group) {
            seen.insert(type.group)
            result.append((type.group, [type.version]))
        }
        for review in ReviewResource.all where !seen.contains(review.group) {
            seen.insert(review.group)
            result.append((review.group, [review.version]))
        }
        for (group, versions) in customGroupVersions.sorted(by: { $0.key < $1.key }) where !seen.contains(group) {
            result.append((group, versions))
        }
        return result
    }

    private func groupDocument(_ name: String, _ versions: [String]) -> JSONValue {
        let entries = versions.map { JSONValue.object(["groupVersion": .string("\(name)/\($0)"), "version": .string($0)]) }
        return .object([
            "name": .string(name), "versions": .array(entries), "preferredVersion": entries.first ?? .null,
        ])
    }

    func groupList() -> JSONValue {
        .object([
            "kind": .string("APIGroupList"), "apiVersion": .string("v1"),
            "groups": .array(groups().map { groupDocument($0.0, $0.1) }),
        ])
    }

    func group(_ name: String) -> JSONValue? {
        guard let entry = groups().first(where: { $0.0 == name }) else { return nil }
        var document = groupDocument(entry.0, entry.1)
        document["kind"] = .string("APIGroup")
        document["apiVersion"] = .string("v1")
        return document
    }

    func resourceList(group: String, version: String) -> JSONValue? {
        let served = servedTypes(group: group, version: version)
        let reviews = ReviewResource.all.filter { $0.group == group && $0.version == version }
        if served.isEmpty && reviews.isEmpty { return nil }
        var resources: [JSONValue] = reviews.map(\.discoveryEntry)
        for type in served {
            var entry: [String: JSONValue] = [
                "name": .string(type.plural), "singularName": .string(type.singular), "namespaced": .bool(type.namespaced),
                "kind": .string(type.kind), "verbs": .array(type.verbs.map(JSONValue.string)),
            ]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map(JSONValue.string)) }
            if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map(JSONValue.string)) }
            resources.append(.object(entry))
            for subresource in Self.subresources(of: type) {
                resources.append(.object([
                    "name": .string("\(type.plural)/\(subresource.name)"), "singularName": .string(""), "namespaced": .bool(type.namespaced),
                    "kind": .string(subresource.kind), "verbs": .array(subresource.verbs.map(JSONValue.string)),
                ].merging(subresource.responseGroupVersion.map { ["group": .string($0.group), "version": .string($0.version)] } ?? [:]) { $1 }))
            }
        }
        return .object([
            "kind": .string("APIResourceList"), "apiVersion": .string("v1"),
            "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
            "resources": .array(resources),
        ])
    }
}
