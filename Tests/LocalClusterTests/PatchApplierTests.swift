import Foundation
import KubeClient
@testable import LocalCluster
import Testing

@Suite struct PatchApplierTests {
    static func json(_ text: String) -> JSONValue { try! JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

    @Test func mergePatchDeletesWithNullAndReplacesLists() {
        let target = Self.json(#"{"a":{"b":1,"c":2},"l":[1,2]}"#)
        let result = PatchApplier.merge(target, Self.json(#"{"a":{"b":null,"d":3},"l":[3]}"#))
        #expect(result == Self.json(#"{"a":{"c":2,"d":3},"l":[3]}"#))
    }

    @Test func strategicMergeMergesContainersByNameAndConditionsByType() {
        let target = Self.json(#"{"spec":{"containers":[{"name":"a","image":"x","env":[{"name":"A","value":"1"}]},{"name":"b","image":"y"}]},"status":{"conditions":[{"type":"Ready","status":"False"}]}}"#)
        let patch = Self.json(#"{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],"spec":{"containers":[{"name":"a","env":[{"name":"B","value":"2"}]},{"name":"b","$patch":"delete"}]},"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Scheduled","status":"True"}]}}"#)
        let result = PatchApplier.strategicMerge(target, patch)
        let containers = result["spec"]?["containers"]?.arrayValue ?? []
        #expect(containers.count == 1)
        #expect(containers.first?["image"]?.stringValue == "x")
        #expect(containers.first?["env"]?.arrayValue?.count == 2)
        #expect(result["status"]?["conditions"]?.arrayValue?.map { $0["status"]?.stringValue } == ["True", "True"])
        #expect(result["$setElementOrder/containers"] == nil)
    }

    @Test func jsonPatchOperations() throws {
        let target = Self.json(#"{"a":[1,2],"b":{"c":"d"}}"#)
        let patch = Self.json(#"[{"op":"add","path":"/a/1","value":9},{"op":"replace","path":"/b/c","value":"e"},{"op":"remove","path":"/a/0"},{"op":"copy","from":"/b","path":"/f"},{"op":"test","path":"/f/c","value":"e"},{"op":"add","path":"/a/-","value":7}]"#)
        #expect(try PatchApplier.jsonPatch(target, patch) == Self.json(#"{"a":[9,2,7],"b":{"c":"e"},"f":{"c":"e"}}"#))
        #expect(throws: APIError.self) { try PatchApplier.jsonPatch(target, Self.json(#"[{"op":"test","path":"/b/c","value":"x"}]"#)) }
        #expect(throws: APIError.self) { try PatchApplier.jsonPatch(target, Self.json(#"[{"op":"remove","path":"/missing"}]"#)) }
    }

    @Test(arguments: [
        ("a=b", ["a": "b"], true), ("a=b", ["a": "c"], false), ("a!=b", [:], true),
        ("a in (x, y)", ["a": "y"], true), ("a notin (x)", ["a": "x"], false), ("a,!b", ["a": "1"], true), ("!a", ["a": "1"], false),
    ])
    func labelSelectors(selector: String, labels: [String: String], matches: Bool) throws {
        #expect(try LabelSelectorQuery(parsing: selector).matches(labels) == matches)
    }

    @Test func schemaDefaultsPrunesAndValidates() {
        let schema = Self.json(#"{"type":"object","properties":{"spec":{"type":"object","properties":{"n":{"type":"integer","default":2,"maximum":5},"s":{"type":"string","minLength":2},"free":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}"#)
        var object = Self.json(#"{"apiVersion":"v","kind":"K","metadata":{"name":"x"},"spec":{"s":"a","junk":1,"free":{"any":1}}}"#)
        let causes = SchemaValidator(schema: schema).process(&object)
        #expect(object["spec"]?["n"]?.intValue == 2)
        #expect(object["spec"]?["junk"] == nil)
        #expect(object["spec"]?["free"]?["any"]?.intValue == 1)
        #expect(causes.map(\.field) == ["spec.s"])
        #expect(causes.first?.message == "Invalid value: \"a\": spec.s in body should be at least 2 chars long")
    }
}
