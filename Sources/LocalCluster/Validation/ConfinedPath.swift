import Foundation

/// Joins names from API objects onto host directories so that the result
/// can only ever be inside the directory it starts from.
///
/// The API server already refuses such names (`ObjectValidator`); this is
/// the second line, in the code that writes, deletes and serves files: a
/// name that is empty, `.` or `..`, or holds `/` or NUL, is refused as a
/// `containerConfig` error before any file is touched, and every joined path
/// is checked to stay below its base.
enum ConfinedPath {
    /// `name` if it is usable as one path component; else a `containerConfig` error naming `role`.
    static func component(_ name: String, role: String) throws(NodeAgentError) -> String {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\0") else {
            throw NodeAgentError(.containerConfig, "\(role) \"\(name)\" cannot be used as a file name: it must not be empty, '.' or '..', nor contain '/'")
        }
        return name
    }

    /// `base` joined with each of `names` (each checked by `component`).
    static func join(_ base: URL, _ names: [(name: String, role: String)], directory: Bool = true) throws(NodeAgentError) -> URL {
        var url = base
        for (index, entry) in names.enumerated() {
            let isLast = index == names.count - 1
            url = url.appendingPathComponent(try component(entry.name, role: entry.role), isDirectory: directory || !isLast)
        }
        try requireInside(url, base)
        return url
    }

    /// `base` joined with a relative path such as a volume mount's `subPath`:
    /// empty and `.` elements are dropped; an absolute path or a `..` element is refused.
    static func join(_ base: String, relative path: String, role: String) throws(NodeAgentError) -> String {
        guard !path.hasPrefix("/") else {
            throw NodeAgentError(.containerConfig, "\(role) \"\(path)\" must be a relative path")
        }
        let elements = path.split(separator: "/").map(String.init).filter { $0 != "." }
        guard !elements.contains(".."), !path.contains("\0") else {
            throw NodeAgentError(.containerConfig, "\(role) \"\(path)\" must not contain '..'")
        }
        let joined = ([base.hasSuffix("/") && base.count > 1 ? String(base.dropLast()) : base] + elements).joined(separator: "/")
        try requireInside(URL(fileURLWithPath: joined), URL(fileURLWithPath: base))
        return joined
    }

    /// Whether `path` is absolute and has no `..` element (a `hostPath`).
    static func isAbsoluteWithoutBacksteps(_ path: String) -> Bool {
        path.hasPrefix("/") && !path.split(separator: "/").contains("..") && !path.contains("\0")
    }

    /// Throws unless `url`, lexically normalised, is `base` or below it.
    static func requireInside(_ url: URL, _ base: URL) throws(NodeAgentError) {
        let root = base.standardizedFileURL.path
        let path = url.standardizedFileURL.path
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path == root || path.hasPrefix(prefix) else {
            throw NodeAgentError(.containerConfig, "\(path) is outside \(root)")
        }
    }
}
