import Foundation
import KubeClient
import Testing

/// `JSONValue` decodes every kind of JSON value to the matching case,
/// whatever order the decoder tries them in.
@Suite struct JSONValueDecodingTests {
    @Test(arguments: [
        (#""text""#, JSONValue.string("text")),
        (#""""#, .string("")),
        ("null", .null),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("0", .integer(0)),
        ("-42", .integer(-42)),
        ("9223372036854775807", .integer(.max)),
        ("2.5", .double(2.5)),
        ("1e-3", .double(0.001)),
        ("[]", .array([])),
        ("{}", .object([:])),
    ])
    func scalarsAndEmptyContainers(json: String, expected: JSONValue) throws {
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) == expected)
    }

    @Test func nestedDocument() throws {
        let json = #"{"s":"x","n":null,"b":false,"i":7,"d":0.25,"a":[1,"y",{"k":true},[]],"o":{"p":{"q":"r"}}}"#
        let expected: JSONValue = .object([
            "s": .string("x"), "n": .null, "b": .bool(false), "i": .integer(7), "d": .double(0.25),
            "a": .array([.integer(1), .string("y"), .object(["k": .bool(true)]), .array([])]),
            "o": .object(["p": .object(["q": .string("r")])]),
        ])
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        #expect(decoded == expected)
        #expect(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(decoded)) == expected)
    }
}
