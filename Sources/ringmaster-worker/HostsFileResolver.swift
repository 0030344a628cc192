import Foundation

/// Resolves ring peers named by pod DNS names through a hosts-format file
/// (`RINGMASTER_HOSTS_FILE`), which the local cluster writes in place of
/// cluster DNS. Without the variable, or for a name the file does not list,
/// the peer is left as it is (and resolved by the system resolver).
enum HostsFileResolver {
    /// `peers` (`host:port`) with each host the file lists replaced by its
    /// address. Peers start at about the same time and the file gains their
    /// entries as they start, so names still missing are looked up again
    /// every 200 ms for up to `wait`.
    static func resolve(_ peers: [String], hostsFile: String?, wait: Duration) async -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now + wait
        while true {
            let (resolved, missing) = resolveOnce(peers, hostsFile: hostsFile)
            if missing == 0 || clock.now >= deadline { return resolved }
            do { try await Task.sleep(for: .milliseconds(200)) } catch { return resolved }
        }
    }

    /// One look at the file: the peers, and how many it did not list.
    static func resolveOnce(_ peers: [String], hostsFile: String?) -> (peers: [String], missing: Int) {
        guard let hostsFile, !hostsFile.isEmpty,
              let text = try? String(contentsOfFile: hostsFile, encoding: .utf8)
        else { return (peers, 0) }
        var addresses: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let address = fields.first, !address.hasPrefix("#"), fields.count > 1 else { continue }
            for name in fields.dropFirst() where addresses[name] == nil { addresses[name] = address }
        }
        var missing = 0
        let resolved = peers.map { peer in
            let colon = peer.lastIndex(of: ":") ?? peer.endIndex
            let host = String(peer[..<colon])
            guard let address = addresses[host] else {
                // An address needs no entry; a name does.
                if host.contains(where: { $0.isLetter }) { missing += 1 }
                return peer
            }
            return address + peer[colon...]
        }
        return (resolved, missing)
    }
}
