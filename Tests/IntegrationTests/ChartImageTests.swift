import Foundation
import RingmasterTesting
import Testing

/// The container image recipes under config/images cannot be built here (no
/// container engine); these tests check what can be checked without one.
@Suite("Container image recipes")
struct ChartImageTests {
    struct Recipe: Sendable, CustomTestStringConvertible {
        var dockerfile: String
        var product: String
        var testDescription: String { dockerfile }
    }

    static let recipes = [
        Recipe(dockerfile: "config/images/operator.Dockerfile", product: "ringmaster-operator"),
        Recipe(dockerfile: "config/images/worker.Dockerfile", product: "ringmaster-worker"),
    ]

    static func read(_ relativePath: String) throws -> String {
        try String(contentsOf: ExternalTools.packageRoot.appendingPathComponent(relativePath), encoding: .utf8)
    }

    /// The executable products Package.swift declares.
    static func declaredExecutables() throws -> Set<String> {
        let manifest = try read("Package.swift")
        let pattern = try Regex(#"\.executable\(\s*name:\s*"([^"]+)""#)
        return Set(manifest.matches(of: pattern).compactMap { $0.output[1].substring.map(String.init) })
    }

    @Test("builds, copies and runs a product Package.swift declares, as a numeric non-root user", arguments: recipes)
    func recipeShape(_ recipe: Recipe) throws {
        let text = try Self.read(recipe.dockerfile)
        let executables = try Self.declaredExecutables()
        #expect(executables.contains(recipe.product), "Package.swift declares \(executables.sorted())")

        let stages = text.split(separator: "\n").filter { $0.hasPrefix("FROM ") }
        #expect(stages.count == 2, "a build stage and a runtime stage")
        #expect(text.contains("ARG SWIFT_IMAGE=swift:6.3-bookworm"))
        #expect(text.contains("ARG RUNTIME_IMAGE=debian:bookworm-slim"))

        let built = text.matches(of: try Regex(#"--product\s+(\S+)"#)).compactMap { $0.output[1].substring.map(String.init) }
        #expect(built == [recipe.product])
        #expect(text.contains("--static-swift-stdlib"))
        #expect(text.contains("-c release"))
        let copied = text.matches(of: try Regex(#"(?m)^COPY --from=build /out/(\S+) (\S+)$"#))
            .compactMap { $0.output[1].substring.map(String.init) }
        #expect(copied == [recipe.product])
        #expect(text.contains(#"ENTRYPOINT ["/usr/local/bin/\#(recipe.product)"]"#))

        let user = try #require(text.firstMatch(of: try Regex(#"(?m)^USER (\d+):(\d+)$"#)), "USER must be numeric uid:gid")
        let uid = try #require(Int(user.output[1].substring ?? ""))
        #expect(uid != 0)
        #expect(text.contains("NOT BUILT"), "the recipe says it is not built here")
    }

    @Test("the runtime stage installs every shared library ldd names for the built binary", arguments: recipes)
    func runtimeLibraries(_ recipe: Recipe) async throws {
        let binary = try ExternalTools.product(recipe.product)
        let report = try await Self.checkLibraries(dockerfile: recipe.dockerfile, binary: binary)
        #expect(report.status == 0, "\(report.output)")
        #expect(report.errors.isEmpty, "\(report.errors)")
        // The debug build links the Swift runtime dynamically; the images link
        // it statically (--static-swift-stdlib), so it is excluded by name.
        #expect(report.libraries.contains { $0.status == "swift-runtime-static" }, "\(report.output)")
        #expect(report.libraries.contains { $0.package == "libc6" }, "\(report.output)")
        if recipe.product == "ringmaster-worker" {
            // The worker links OpenBLAS (COpenBLAS), provided by libopenblas0's pthread variant.
            #expect(report.installed.contains("libopenblas0"))
            let openblas = report.libraries.first { $0.soname == "libopenblas.so.0" }
            #expect(openblas?.status == "installed", "\(report.output)")
            #expect(openblas?.package?.hasPrefix("libopenblas0") == true, "\(report.output)")
        }
    }

    @Test("the check fails when a library's package is not installed")
    func missingLibraryIsReported() async throws {
        // A real shared object of this machine (installed with libopenblas-dev)
        // that needs libgfortran5, which the operator image does not install.
        let openblas = "/usr/lib/x86_64-linux-gnu/libopenblas.so.0"
        #expect(FileManager.default.fileExists(atPath: openblas), "libopenblas0 is installed by `make deps`")
        let report = try await Self.checkLibraries(dockerfile: "config/images/operator.Dockerfile", binary: openblas)
        #expect(report.status == 1)
        #expect(report.errors.contains { $0.contains("libgfortran5") }, "\(report.output)")
        let worker = try await Self.checkLibraries(dockerfile: "config/images/worker.Dockerfile", binary: openblas)
        #expect(worker.status == 0, "\(worker.output)")
    }

    struct LibraryReport {
        struct Library {
            var soname: String
            var package: String?
            var status: String
        }
        var status: Int32
        var output: String
        var installed: [String]
        var libraries: [Library]
        var errors: [String]
    }

    static func checkLibraries(dockerfile: String, binary: String) async throws -> LibraryReport {
        let script = ExternalTools.packageRoot.appendingPathComponent("Tests/tools/image_runtime_libs.py").path
        let result = try await ProcessRunner.run(
            try ExternalTools.python(), [script, dockerfile, binary],
            currentDirectory: ExternalTools.packageRoot, timeout: .seconds(60))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any], "\(result.combinedOutput)")
        let libraries = (json["libraries"] as? [[String: Any]] ?? []).map {
            LibraryReport.Library(soname: $0["soname"] as? String ?? "", package: $0["package"] as? String, status: $0["status"] as? String ?? "")
        }
        return LibraryReport(
            status: result.status, output: result.combinedOutput,
            installed: json["installed"] as? [String] ?? [], libraries: libraries,
            errors: json["errors"] as? [String] ?? [])
    }
}
