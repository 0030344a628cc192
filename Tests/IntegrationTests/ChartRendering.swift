import Foundation
import RingmasterTesting
import Yams

/// Renders `charts/ringmaster` with the real `helm` and reads the result.
///
/// Every call runs `helm` as a separate process; nothing is cached, so tests
/// may run concurrently.
enum ChartRendering {
    /// The chart directory.
    static let chartDirectory = ExternalTools.packageRoot.appendingPathComponent("charts/ringmaster")

    /// The release name and namespace the tests install as.
    static let releaseName = "ringmaster"
    static let releaseNamespace = "ringmaster-system"

    /// Runs `helm` with `arguments` from the package root.
    static func helm(_ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run(
            try ExternalTools.helm(), arguments,
            currentDirectory: ExternalTools.packageRoot, timeout: .seconds(60))
    }

    /// `helm template` of the chart with extra `values` arguments
    /// (`--set`, `-f`); throws `ChartRenderingError` with helm's output when
    /// helm fails.
    static func template(_ values: [String] = []) async throws -> String {
        let result = try await helm(
            ["template", releaseName, chartDirectory.path, "--namespace", releaseNamespace] + values)
        guard result.status == 0 else {
            throw ChartRenderingError(command: "helm template " + values.joined(separator: " "), output: result.combinedOutput)
        }
        return result.standardOutput
    }

    /// The YAML documents of a multi-document stream, skipping empty ones.
    /// Throws when a document is not a mapping.
    static func documents(in yaml: String) throws -> [[String: Any]] {
        var documents: [[String: Any]] = []
        for document in try Yams.load_all(yaml: yaml) {
            if document is NSNull { continue }
            guard let mapping = document as? [String: Any] else {
                throw ChartRenderingError(command: "parse", output: "a YAML document is not a mapping: \(document)")
            }
            documents.append(mapping)
        }
        return documents
    }

    /// Reads every YAML document of the files under `directory` (recursively,
    /// `.yaml` and `.yml`), in path order.
    static func documents(inDirectory directory: URL) throws -> [[String: Any]] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            throw ChartRenderingError(command: "read \(directory.path)", output: "no such directory")
        }
        let files = enumerator.compactMap { $0 as? URL }
            .filter { ["yaml", "yml"].contains($0.pathExtension) }
            .sorted { $0.path < $1.path }
        return try files.flatMap { try documents(in: String(contentsOf: $0, encoding: .utf8)) }
    }
}

/// A `helm` (or parse) step failed; `output` holds what the tool said.
struct ChartRenderingError: Error, CustomStringConvertible {
    var command: String
    var output: String
    var description: String { "\(command) failed:\n\(output)" }
}

extension Dictionary where Key == String, Value == Any {
    /// The value at a dotted path of mapping keys (`"spec.template.spec"`).
    func value(at path: String) -> Any? {
        var current: Any? = self
        for key in path.split(separator: ".") {
            current = (current as? [String: Any])?[String(key)]
        }
        return current
    }

    /// `kind`, for readable failure messages and filters.
    var kind: String { self["kind"] as? String ?? "" }

    /// `metadata.name`.
    var name: String { value(at: "metadata.name") as? String ?? "" }

    /// `metadata.namespace`, nil for cluster-scoped objects.
    var namespace: String? { value(at: "metadata.namespace") as? String }

    /// `metadata.labels`.
    var labels: [String: String] {
        (value(at: "metadata.labels") as? [String: Any])?.compactMapValues { "\($0)" } ?? [:]
    }
}
