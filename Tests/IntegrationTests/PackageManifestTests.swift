import Foundation
import RingmasterTesting
import Testing

/// Package.swift declares what each target's files import, no more and no less.
@Suite struct PackageManifestTests {
    struct Target: CustomStringConvertible {
        var name: String
        var directory: String
        /// Targets and products it depends on, as named in Package.swift.
        var dependencies: [String]
        var description: String { name }
    }

    /// Modules every target may import without declaring them.
    static let platformModules: Set<String> = ["Foundation", "FoundationNetworking", "Glibc", "Darwin", "Musl", "Dispatch", "Synchronization", "Testing"]

    static func targets() throws -> [Target] {
        let manifest = try String(contentsOf: ExternalTools.packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declaration = try Regex(#"\.(target|executableTarget|testTarget)\(\s*name: "([^"]+)",\s*dependencies: \[(.*?)\]\s*\)"#)
            .dotMatchesNewlines()
        let product = try Regex(#"\.product\(name: "([^"]+)"[^)]*\)"#)
        let quoted = try Regex(#""([^"]+)""#)
        return manifest.matches(of: declaration).map { match in
            let kind = String(match.output[1].substring ?? "")
            let name = String(match.output[2].substring ?? "")
            let list = String(match.output[3].substring ?? "")
            let products = list.matches(of: product).map { String($0.output[1].substring ?? "") }
            let targets = list.replacing(product, with: "").matches(of: quoted).map { String($0.output[1].substring ?? "") }
            return Target(name: name, directory: (kind == "testTarget" ? "Tests/" : "Sources/") + name, dependencies: targets + products)
        }
    }

    /// The modules the files under `directory` import, read from each file's
    /// header (so Python embedded in a test's string literal is not mistaken for Swift).
    static func imports(in directory: String) throws -> Set<String> {
        let statement = try Regex(#"^(?:@testable\s+|@preconcurrency\s+)?import\s+(?:(?:struct|enum|class|func|protocol)\s+)?([A-Za-z_][A-Za-z0-9_]*)"#)
        var modules: Set<String> = []
        let root = ExternalTools.packageRoot.appendingPathComponent(directory)
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let line = rawLine.trimmingCharacters(in: .whitespaces)
                if let match = line.wholeMatch(of: statement) ?? line.prefixMatch(of: statement) {
                    modules.insert(String(match.output[1].substring ?? ""))
                } else if !(line.isEmpty || line.hasPrefix("//") || line.hasPrefix("#if") || line.hasPrefix("#else")
                            || line.hasPrefix("#elseif") || line.hasPrefix("#endif")) {
                    break
                }
            }
        }
        return modules
    }

    @Test func everyTargetDeclaresExactlyWhatItImports() throws {
        let targets = try Self.targets()
        #expect(targets.count >= 19, "parsed \(targets)")
        for target in targets {
            let imported = try Self.imports(in: target.directory)
            let declared = Set(target.dependencies)
            #expect(target.dependencies.count == declared.count, "\(target.name) declares a dependency twice: \(target.dependencies)")
            #expect(declared.subtracting(imported).sorted() == [], "\(target.name) declares dependencies none of its files imports")
            #expect(imported.subtracting(declared).subtracting(Self.platformModules).sorted() == [],
                    "\(target.name) imports modules Package.swift does not declare for it")
        }
    }
}
