import Foundation
import KubeClient

/// The OpenAPI documents `kubectl explain` and `kubectl apply` read:
/// `/openapi/v2` and `/openapi/v3` (index plus one document per group
/// version), carrying the schemas of the custom resources. Built-in kinds
/// have no schema here (kubectl knows them itself), so `kubectl explain pods`
/// is not supported by the local server.
struct OpenAPIDocuments {
    var types: [ResourceType]

    private static func definitionName(_ type: ResourceType) -> String {
        let reversed = type.group.split(separator: ".").reversed().joined(separator: ".")
        return "\(reversed).\(type.version).\(type.kind)"
    }

    private static func schema(for type: ResourceType) -> JSONValue {
        var schema = type.schema ?? .object(["type": .string("object"), "x-kubernetes-preserve-unknown-fields": .bool(true)])
        var properties = schema["properties"]?.objectValue ?? [:]
        if properties["apiVersion"] == nil {
            properties["apiVersion"] = .object(["type": .string("string"), "description": .string("APIVersion defines the versioned schema of this representation of an object.")])
        }
        if properties["kind"] == nil {
            properties["kind"] = .object(["type": .string("string"), "description": .string("Kind is a string value representing the REST resource this object represents.")])
        }
        if properties["metadata"] == nil || properties["metadata"]?["properties"] == nil {
            properties["metadata"] = .object(["type": .string("object"), "description": .string("Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata")])
        }
        schema["properties"] = .object(properties)
        schema["x-kubernetes-group-version-kind"] = .array([.object([
            "group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind),
        ])])
        return schema
    }

    private var customTypes: [ResourceType] { types.filter(\.isCustom).sorted { $0.apiVersion + $0.kind < $1.apiVersion + $1.kind } }

    func v2() -> JSONValue {
        var definitions: [String: JSONValue] = [:]
        for type in customTypes { definitions[Self.definitionName(type)] = Self.schema(for: type) }
        return .object([
            "swagger": .string("2.0"),
            "info": .object(["title": .string("Kubernetes"), "version": .string("v1.37.0")]),
            "paths": .object([:]),
            "definitions": .object(definitions),
        ])
    }

    func v3Index() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for type in types {
            let path = type.group.isEmpty ? "api/\(type.version)" : "apis/\(type.group)/\(type.version)"
            let hash = String(format: "%08x", UInt32(truncatingIfNeeded: JSONCoding.encode(v3(path: path) ?? .null).count))
            paths[path] = .object(["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(hash)")])
        }
        return .object(["paths": .object(paths)])
    }

    func v3(path: String) -> JSONValue? {
        let served = types.filter { ($0.group.isEmpty ? "api/\($0.version)" : "apis/\($0.group)/\($0.version)") == path }
        if served.isEmpty { return nil }
        var schemas: [String: JSONValue] = [:]
        for type in served where type.isCustom { schemas[Self.definitionName(type)] = Self.schema(for: type) }
        // One PATCH operation per kind, declaring the `fieldValidation`
        // parameter: kubectl reads it to decide that the server validates
        // fields itself (otherwise it falls back to client-side validation
        // against /openapi/v2).
        var paths: [String: JSONValue] = [:]
        for type in served {
            let prefix = type.group.isEmpty ? "/api/\(type.version)" : "/apis/\(type.group)/\(type.version)"
            let path = type.namespaced ? "\(prefix)/namespaces/{namespace}/\(type.plural)/{name}" : "\(prefix)/\(type.plural)/{name}"
            let gvk = JSONValue.object(["group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind)])
            paths[path] = .object([
                "patch": .object([
                    "operationId": .string("patch\(type.kind)"),
                    "x-kubernetes-action": .string("patch"),
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": .array([
                        .object(["name": .string("fieldValidation"), "in": .string("query"), "schema": .object(["type": .string("string")]),
                                 "description": .string("Strict, Warn or Ignore: what to do with unknown or duplicate fields.")]),
                        .object(["name": .string("fieldManager"), "in": .string("query"), "schema": .object(["type": .string("string")])]),
                    ]),
                    "responses": .object(["200": .object(["description": .string("OK")])]),
                ]),
            ])
        }
        return .object([
            "openapi": .string("3.0.0"),
            "info": .object(["title": .string("Kubernetes"), "version": .string("v1.37.0")]),
            "paths": .object(paths),
            "components": .object(["schemas": .object(schemas)]),
        ])
    }
}
