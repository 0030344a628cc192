import Foundation

/// Which container images the local cluster can run, and with what.
///
/// There is no container runtime here: a container runs as a local process.
/// An image is matched by its repository name, the last path component
/// without registry, tag or digest, so `ghcr.io/ringmaster-dev/ringmaster-worker:0.1`
/// and `ringmaster-worker@sha256:...` both match `ringmaster-worker`. Any other
/// image cannot run, and its pod fails with `ErrImagePull`.
public struct ImageMapping: Sendable, Hashable {
    /// One image the local cluster can run.
    public struct Rule: Sendable, Hashable {
        /// The repository name to match, for example `ringmaster-worker`.
        public var repositoryName: String
        /// The executable started for it.
        public var executable: String
        /// Arguments put before the container's own.
        public var leadingArguments: [String]

        public init(repositoryName: String, executable: String, leadingArguments: [String] = []) {
            self.repositoryName = repositoryName
            self.executable = executable
            self.leadingArguments = leadingArguments
        }
    }

    public var rules: [Rule]

    public init(rules: [Rule]) {
        self.rules = rules
    }

    /// The Ringmaster worker image (`TrainingJob.defaultWorkerImage`, any
    /// tag) mapped to the `ringmaster-worker` executable next to the running
    /// executable, unless `workerExecutable` names another.
    public static func ringmasterWorker(executable workerExecutable: String? = nil) -> ImageMapping {
        ImageMapping(rules: [Rule(repositoryName: "ringmaster-worker", executable: workerExecutable ?? defaultWorkerExecutable())])
    }

    /// `ringmaster-worker` in the directory of the running executable.
    public static func defaultWorkerExecutable() -> String {
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? "ringmaster"
        return URL(fileURLWithPath: selfPath).deletingLastPathComponent()
            .appendingPathComponent("ringmaster-worker").path
    }

    /// The repository name of an image reference: `a.io/b/c:tag` -> `c`.
    public static func repositoryName(of image: String) -> String {
        var reference = image
        if let at = reference.firstIndex(of: "@") { reference = String(reference[..<at]) }
        let lastComponent = reference.split(separator: "/").last.map(String.init) ?? reference
        if let colon = lastComponent.firstIndex(of: ":") { return String(lastComponent[..<colon]) }
        return lastComponent
    }

    /// The rule that runs `image`, or nil when the local cluster cannot run it.
    public func rule(for image: String) -> Rule? {
        let name = Self.repositoryName(of: image)
        return rules.first { $0.repositoryName == name }
    }

    /// The message of the `ErrImagePull` state for an image no rule matches.
    public static func unavailableMessage(image: String) -> String {
        "image \"\(image)\" is not available on the local cluster: only the Ringmaster worker image runs here"
    }

    /// The argument vector for a container of a mapped image: the rule's
    /// executable, its leading arguments, the container's `command` after its
    /// first element when that first element names the executable (by base
    /// name), and the container's `args`. Any other `command` is ignored,
    /// since the image's own entry point is the executable.
    public static func argumentVector(rule: Rule, command: [String]?, args: [String]?) -> [String] {
        var argv = [rule.executable] + rule.leadingArguments
        if let command, let first = command.first {
            let named = URL(fileURLWithPath: first).lastPathComponent
            let executableName = URL(fileURLWithPath: rule.executable).lastPathComponent
            if named == executableName || named == rule.repositoryName {
                argv += command.dropFirst()
            }
        }
        argv += args ?? []
        return argv
    }
}
