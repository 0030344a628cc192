import Foundation

/// kubectl's and helm's on-disk discovery cache for one server address.
///
/// Both keep the API groups and resources a server served under
/// `<cache>/discovery/<host>_<port>` for hours, where `<cache>` is
/// `$KUBECACHEDIR` or `~/.kube/cache`. A local API server listens on a port
/// that an earlier server (with other CRDs installed) may have used; kubectl
/// would then map a kind from the old server's list and send requests the new
/// one answers with a bare 404, instead of saying the CRD is missing.
public enum KubectlDiscoveryCache {
    /// The cache directory kubectl reads for the server at `url`.
    public static func directory(for url: URL, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let root: String
        if let configured = environment["KUBECACHEDIR"], !configured.isEmpty {
            root = configured
        } else if let home = environment["HOME"], !home.isEmpty {
            root = (home as NSString).appendingPathComponent(".kube/cache")
        } else {
            return nil
        }
        guard let host = url.host else { return nil }
        let address = url.port.map { "\(host):\($0)" } ?? host
        // kubectl keeps letters, digits, '.' and '-' of "host:port" and
        // writes '_' for anything else.
        let name = String(address.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
        return URL(fileURLWithPath: root).appendingPathComponent("discovery").appendingPathComponent(name)
    }

    /// Forgets what was cached for `url`, so kubectl asks the server that now
    /// answers there. Returns whether there was anything to forget.
    @discardableResult
    public static func invalidate(for url: URL, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let directory = directory(for: url, environment: environment),
              FileManager.default.fileExists(atPath: directory.path) else { return false }
        return (try? FileManager.default.removeItem(at: directory)) != nil
    }
}
