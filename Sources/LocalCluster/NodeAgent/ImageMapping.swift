import Foundation

/// Which container images the local cluster can run, and with what: the
/// table the user controls with `ringmaster local up --image NAME=...`.
///
/// There is no container runtime here: a container runs as a local process.
/// An image is matched by its repository name, the last path component
/// without registry, tag or digest, so `ghcr.io/ringmaster-dev/ringmaster-worker:0.1`
/// and `ringmaster-worker@sha256:...` both match `ringmaster-worker`. A rule
/// either names the executable that stands for the image's entry point, or
/// runs the image on the host's root filesystem (`NAME=host`: the container's
/// `command` and `args` run as given, so a host with Python and torch runs a
/// PyTorch image). Any other image cannot run, and its pod fails with
/// `ErrImagePull`.
public struct ImageMapping: Sendable, Hashable {
    /// One image the local cluster can run.
    public struct Rule: Sendable, Hashable {
        /// The repository name to match, for example `ringmaster-worker`.
        public var repositoryName: String
        /// The executable started for it; nil: the image runs on the host's
        /// root filesystem, and the container's `command` is what runs.
        public var executable: String?
        /// Arguments put before the container's own.
        public var leadingArguments: [String]

        public init(repositoryName: String, executable: String?, leadingArguments: [String] = []) {
            self.repositoryName = repositoryName
            self.executable = executable
            self.leadingArguments = leadingArguments
        }
    }

    public var rules: [Rule]

    /// A rule from `IMAGE=host` (the image runs on the host's root filesystem)
    /// or `IMAGE=/absolute/executable`. Only IMAGE's repository name counts
    /// (`ghcr.io/acme/pytorch-ddp:2.13` matches every `pytorch-ddp` image).
    /// Throws `invalidConfiguration` naming what is wrong.
    public static func rule(parsing text: String) throws(NodeAgentError) -> Rule {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let name = parts.count == 2 ? repositoryName(of: parts[0]) : ""
        guard !name.isEmpty else {
            throw NodeAgentError(.invalidConfiguration, "--image \(text): expected IMAGE=host or IMAGE=/path/to/executable")
        }
        if parts[1] == "host" { return Rule(repositoryName: name, executable: nil) }
        guard parts[1].hasPrefix("/") else {
            throw NodeAgentError(.invalidConfiguration, "--image \(text): the executable must be an absolute path, or `host`")
        }
        return Rule(repositoryName: name, executable: parts[1])
    }

    /// This table with `rules` in front (a rule of the same repository name replaces the older one).
    public func adding(_ extra: [Rule]) -> ImageMapping {
        let names = Set(extra.map(\.repositoryName))
        return ImageMapping(rules: extra + rules.filter { !names.contains($0.repositoryName) })
    }

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
        "image \"\(image)\" is not available on the local cluster: map it with `ringmaster local up --image \(repositoryName(of: image))=host` (or =/path/to/executable)"
    }

    /// The argument vector for a container of a mapped image: the rule's
    /// executable, its leading arguments, the container's `command` after its
    /// first element when that first element names the executable (by base
    /// name), and the container's `args`. Any other `command` is ignored,
    /// since the image's own entry point is the executable.
    /// For an image that runs on the host: `command` then `args`, as given.
    public static func argumentVector(rule: Rule, command: [String]?, args: [String]?) -> [String] {
        guard let executable = rule.executable else { return (command ?? []) + (args ?? []) }
        var argv = [executable] + rule.leadingArguments
        if let command, let first = command.first {
            let named = URL(fileURLWithPath: first).lastPathComponent
            let executableName = URL(fileURLWithPath: executable).lastPathComponent
            if named == executableName || named == rule.repositoryName {
                argv += command.dropFirst()
            }
        }
        argv += args ?? []
        return argv
    }
}
