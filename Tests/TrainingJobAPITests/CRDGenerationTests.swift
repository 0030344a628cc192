import Foundation
import KubeClient
import Testing
@testable import TrainingJobAPI

/// The committed CRD files are exactly what the Swift schema generates, and
/// the schema agrees with the Codable types.
@Suite struct CRDGenerationTests {
    @Test(arguments: TrainingJobCRD.outputDirectories)
    func committedCRDIsCurrent(directory: String) throws {
        let path = "\(directory)/\(TrainingJobCRD.fileName)"
        let committed = try? Fixtures.read(path)
        let generated = try TrainingJobCRD.yaml()
        #expect(committed != nil, "\(path) is missing: run `make manifests`")
        #expect(committed == generated, "\(path) is stale: run `make manifests`")
    }

    /// The schema of the committed file, as the API server would read it.
    static func committedSchema() throws -> JSONValue {
        let crd = try #require(try JSONValue.documents(yaml: Fixtures.read("crds/\(TrainingJobCRD.fileName)")).first)
        let version = try #require(crd["spec"]?["versions"]?.arrayValue?.first)
        return try #require(version["schema"]?["openAPIV3Schema"])
    }

    @Test func everyPropertyHasADescription() throws {
        var missing: [String] = []
        var count = 0
        func walk(_ node: JSONValue, _ path: String) {
            count += 1
            if (node["description"]?.stringValue ?? "").isEmpty { missing.append(path.isEmpty ? "<root>" : path) }
            for (name, child) in node["properties"]?.objectValue ?? [:] {
                walk(child, path.isEmpty ? name : "\(path).\(name)")
            }
            if let items = node["items"] { walk(items, "\(path)[]") }
            if let values = node["additionalProperties"], values.objectValue != nil { walk(values, "\(path){}") }
        }
        walk(try Self.committedSchema(), "")
        #expect(missing == [], "properties without a description: \(missing.sorted())")
        // The walk really descended: spec and status have well over 100 nodes.
        #expect(count > 100)
    }

    @Test func schemaIsStructural() throws {
        // Every node has a type, except int-or-string and preserve-unknown-fields nodes.
        var untyped: [String] = []
        for (path, node) in TrainingJobSchema.root.allNodes(path: "") where node.type == nil {
            if !node.intOrString && !node.preserveUnknownFields { untyped.append(path) }
        }
        #expect(untyped == [])
    }

    @Test func printerColumnsReadDedicatedStatusFields() throws {
        let crd = try #require(try JSONValue.documents(yaml: Fixtures.read("crds/\(TrainingJobCRD.fileName)")).first)
        let columns = try #require(crd["spec"]?["versions"]?.arrayValue?.first?["additionalPrinterColumns"]?.arrayValue)
        let names = columns.compactMap { $0["name"]?.stringValue?.uppercased() }
        #expect(names == ["PHASE", "WORKERS", "EPOCH", "LOSS", "ACCURACY", "RESTARTS", "AGE", "MESSAGE"])
        #expect(columns.first { $0["name"] == .string("Workers") }?["jsonPath"] == .string(".status.workersReady"))
        #expect(columns.first { $0["name"] == .string("Message") }?["priority"] == .integer(1))
        for column in columns {
            let path = try #require(column["jsonPath"]?.stringValue)
            #expect(!path.contains("conditions"), "\(path) must read a dedicated field")
            // The column's field exists in the schema (metadata aside).
            if path.hasPrefix(".status") {
                var node: OpenAPISchema? = TrainingJobSchema.root
                for part in path.split(separator: ".") { node = node?.property(String(part)) }
                #expect(node != nil, "\(path) is not a schema field")
            }
        }
    }

    @Test func crdDeclaresNamesScopeAndSubresource() throws {
        let crd = try TrainingJobCRD.json()
        #expect(crd["metadata"]?["name"] == .string("trainingjobs.ringmaster.dev"))
        #expect(crd["spec"]?["scope"] == .string("Namespaced"))
        #expect(crd["spec"]?["names"]?["shortNames"] == .array([.string("tj")]))
        #expect(crd["spec"]?["names"]?["categories"] == .array([.string("ringmaster")]))
        let version = try #require(crd["spec"]?["versions"]?.arrayValue?.first)
        #expect(version["subresources"]?["status"] == .object([:]))
        let spec = try #require(version["schema"]?["openAPIV3Schema"]?["properties"]?["spec"])
        let rules = (spec["properties"]?["model"]?["x-kubernetes-validations"]?.arrayValue ?? [])
            .compactMap { $0["rule"]?.stringValue }
        #expect(rules.contains("self == oldSelf"))
        let storageRules = (spec["properties"]?["storage"]?["x-kubernetes-validations"]?.arrayValue ?? [])
            .compactMap { $0["rule"]?.stringValue }
        #expect(storageRules.contains("!(has(self.existingClaim) && has(self.size))"))
    }

    // MARK: Codable and schema agree

    /// Walks an encoded value beside the schema, collecting for every object
    /// path the keys the schema declares and the keys the value used.
    static func collectKeys(
        _ value: JSONValue, _ schema: OpenAPISchema, _ path: String,
        declared: inout [String: Set<String>], used: inout [String: Set<String>], typeErrors: inout [String]
    ) {
        if schema.preserveUnknownFields { return }
        switch (schema.type, value) {
        case (.object?, .object(let members)):
            if !schema.properties.isEmpty {
                declared[path] = Set(schema.properties.map(\.name))
                used[path, default: []].formUnion(members.keys)
                for property in schema.properties {
                    if let member = members[property.name] {
                        collectKeys(member, property.schema, "\(path).\(property.name)",
                                    declared: &declared, used: &used, typeErrors: &typeErrors)
                    }
                }
            }
            if let values = schema.additionalProperties {
                for (_, member) in members {
                    collectKeys(member, values, "\(path){}", declared: &declared, used: &used, typeErrors: &typeErrors)
                }
            }
        case (.array?, .array(let elements)):
            if let items = schema.items {
                for element in elements {
                    collectKeys(element, items, "\(path)[]", declared: &declared, used: &used, typeErrors: &typeErrors)
                }
            }
        case (.string?, .string), (.integer?, .integer), (.number?, .integer), (.number?, .double), (.boolean?, .bool):
            break
        case (nil, .string) where schema.intOrString, (nil, .integer) where schema.intOrString:
            break
        default:
            typeErrors.append("\(path): schema type \(schema.type?.rawValue ?? "int-or-string") but Swift encodes \(value)")
        }
    }

    @Test func everySchemaPropertyIsACodingKeyAndViceVersa() throws {
        let encoded = try JSONValue(encoding: Fixtures.fullyPopulatedJob())
        var declared: [String: Set<String>] = [:]
        var used: [String: Set<String>] = [:]
        var typeErrors: [String] = []
        Self.collectKeys(encoded, TrainingJobSchema.root, "", declared: &declared, used: &used, typeErrors: &typeErrors)
        #expect(typeErrors == [])
        // Every object the schema declares was reached by the sample.
        let reached = Set(declared.keys)
        let expectedPaths: Set<String> = [
            "", ".spec", ".spec.resources", ".spec.model", ".spec.hyperparameters", ".spec.dataset", ".spec.storage",
            ".spec.runPolicy", ".spec.runPolicy.failurePolicy", ".spec.runPolicy.failurePolicy.rules[]",
            ".spec.runPolicy.failurePolicy.rules[].onExitCodes", ".spec.template", ".spec.template.tolerations[]", ".spec.template.env[]",
            ".spec.template.env[].valueFrom", ".spec.template.env[].valueFrom.secretKeyRef",
            ".spec.template.env[].valueFrom.configMapKeyRef", ".spec.template.env[].valueFrom.fieldRef",
            ".status", ".status.conditions[]", ".status.workers", ".status.progress", ".status.checkpoint",
            ".status.failure", ".status.metrics", ".status.artifact", ".status.ranks{}",
        ]
        #expect(reached == expectedPaths)
        for path in declared.keys.sorted() {
            let schemaKeys = declared[path] ?? []
            let swiftKeys = used[path] ?? []
            #expect(schemaKeys.subtracting(swiftKeys).isEmpty,
                    "\(path): in the schema but never encoded by Swift: \(schemaKeys.subtracting(swiftKeys).sorted())")
            #expect(swiftKeys.subtracting(schemaKeys).isEmpty,
                    "\(path): encoded by Swift but missing from the schema: \(swiftKeys.subtracting(schemaKeys).sorted())")
        }
    }

    struct KeyCase: Sendable, CustomTestStringConvertible {
        var path: [String]
        var codingKeys: [String]
        var testDescription: String { path.isEmpty ? "TrainingJob" : path.joined(separator: ".") }
    }

    static let keyCases: [KeyCase] = [
        .init(path: [], codingKeys: TrainingJob.CodingKeys.allCases.map(\.stringValue)),
        .init(path: ["spec"], codingKeys: TrainingJobSpec.CodingKeys.allCases.map(\.stringValue)),
        .init(path: ["spec", "model"], codingKeys: ModelSpec.CodingKeys.allCases.map(\.stringValue)),
        .init(path: ["spec", "hyperparameters"], codingKeys: HyperparametersSpec.CodingKeys.allCases.map(\.stringValue)),
        .init(path: ["spec", "dataset"], codingKeys: DatasetSpec.CodingKeys.allCases.map(\.stringValue)),
        .init(path: ["spec", "storage"], codingKeys: StorageSpec.CodingKeys.allCases.map(\.stringValue)),
        .init(path: ["spec", "runPolicy"], codingKeys: RunPolicy.CodingKeys.allCases.map(\.stringValue)),
        .init(path: ["spec", "runPolicy", "failurePolicy"], codingKeys: FailurePolicySpec.CodingKeys.allCases.map(\.stringValue)),
        .init(path: ["status"], codingKeys: TrainingJobStatus.CodingKeys.allCases.map(\.stringValue)),
        .init(path: ["status", "workers"], codingKeys: WorkerCounts.CodingKeys.allCases.map(\.stringValue)),
    ]

    @Test func failurePolicyRuleKeysEqualTheSchema() throws {
        let rule = try #require(TrainingJobSchema.root.property("spec")?.property("runPolicy")?.property("failurePolicy")?
            .property("rules")?.items)
        #expect(Set(rule.properties.map(\.name)) == Set(FailurePolicyRule.CodingKeys.allCases.map(\.stringValue)))
        let exitCodes = try #require(rule.property("onExitCodes"))
        #expect(Set(exitCodes.properties.map(\.name)) == Set(FailurePolicyRule.ExitCodes.CodingKeys.allCases.map(\.stringValue)))
        #expect(rule.property("action")?.enumValues == FailurePolicyAction.knownRawValues)
        #expect(rule.property("onReasons")?.items?.enumValues == PodFailureReason.knownRawValues)
    }

    @Test func rankHeartbeatKeysEqualTheSchemaOfStatusRanksValues() throws {
        let ranks = try #require(TrainingJobSchema.root.property("status")?.property("ranks"))
        #expect(ranks.type == .object && ranks.properties.isEmpty)
        let entry = try #require(ranks.additionalProperties)
        #expect(Set(entry.properties.map(\.name)) == Set(RankStatus.CodingKeys.allCases.map(\.stringValue)))
        // A worker image newer than the CRD may report an activity the CRD does
        // not list; the API server must keep it rather than reject the heartbeat.
        let activity = try #require(entry.property("activity"))
        #expect(activity.type == .string && (activity.enumValues ?? []).isEmpty)
    }

    @Test(arguments: keyCases)
    func codingKeysEqualSchemaProperties(_ keyCase: KeyCase) throws {
        var node: OpenAPISchema? = TrainingJobSchema.root
        for part in keyCase.path { node = node?.property(part) }
        let schema = try #require(node)
        #expect(Set(schema.properties.map(\.name)) == Set(keyCase.codingKeys))
    }
}
