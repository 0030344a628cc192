import Foundation
import RingmasterTesting
import Testing
import TrainingJobAPI

/// The README's list of condition reasons is the list the code declares, and
/// the code sets every reason it declares.
@Suite("Condition reasons: README, declarations and uses agree")
struct ConditionReasonListTests {
    static let declarationFile = "Sources/TrainingJobAPI/TrainingJobConditionType.swift"

    /// `name -> value` of every `public static let name = "Value"` in `TrainingJobReason`.
    static func declaredReasons() throws -> [String: String] {
        let text = try Fixtures.read(declarationFile)
        let body = try #require(text.range(of: "public enum TrainingJobReason {")).upperBound
        let declaration = try Regex(#"public static let (\w+) = "(\w+)""#)
        var reasons: [String: String] = [:]
        for match in text[body...].matches(of: declaration) {
            reasons[String(match.output[1].substring ?? "")] = String(match.output[2].substring ?? "")
        }
        return reasons
    }

    /// The backquoted words of the README's "Condition reasons:" paragraph.
    static func readmeReasons() throws -> [String] {
        let readme = try Fixtures.read("README.md")
        let start = try #require(readme.range(of: "Condition reasons:"), "README.md has no \"Condition reasons:\" list")
        let paragraph = readme[start.upperBound...]
        // The list ends at its first parenthesis or at the end of the paragraph.
        let end = paragraph.range(of: " (")?.lowerBound ?? paragraph.range(of: "\n\n")?.lowerBound ?? paragraph.endIndex
        let word = try Regex(#"`(\w+)`"#)
        return paragraph[..<end].matches(of: word).map { String($0.output[1].substring ?? "") }
    }

    @Test func readmeListsExactlyTheDeclaredReasons() throws {
        let declared = try Self.declaredReasons()
        #expect(declared.count > 10, "found \(declared)")
        let listed = try Self.readmeReasons()
        #expect(listed.count == Set(listed).count, "README lists a reason twice: \(listed)")
        let values = Set(declared.values)
        #expect(Set(listed).subtracting(values).sorted() == [], "README lists reasons TrainingJobReason does not declare")
        #expect(values.subtracting(listed).sorted() == [], "README omits reasons TrainingJobReason declares")
    }

    @Test func everyDeclaredReasonIsSetSomewhere() throws {
        let declared = try Self.declaredReasons()
        let sources = Fixtures.root.appendingPathComponent("Sources")
        var code = ""
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift", !file.path.hasSuffix(Self.declarationFile) else { continue }
            code += try String(contentsOf: file, encoding: .utf8)
        }
        let unused = declared.filter { !code.contains("TrainingJobReason.\($0.key)") }.map(\.value).sorted()
        #expect(unused == [], "declared as condition reasons, but no code sets them")
    }
}
