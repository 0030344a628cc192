import Foundation
import KubeClient
import Logging

/// Binds PersistentVolumeClaims to local directories, as a provisioner and
/// the PV controller do on a real cluster, in one step.
///
/// A claim binds as soon as it is seen: its directory
/// `<dataDir>/volumes/<namespace>/<claim>` is created, `spec.volumeName`
/// is set to `pvc-<uid>` and its status becomes `Bound` with the requested
/// capacity. When the claim is deleted its directory and all its files are
/// removed; directories of claims deleted while the agent was down are
/// removed at the next full list. Runs until cancelled.
struct ClaimBinder: Sendable {
    var configuration: NodeAgentConfiguration
    var api: any NodeAgentAPI
    var logger: Logger
    var node: LocalNode

    private actor Known {
        var claims: [String: Set<String>] = [:]
        func replace(_ items: [PersistentVolumeClaim]) -> [String: Set<String>] {
            claims = [:]
            for claim in items { add(claim) }
            return claims
        }
        func add(_ claim: PersistentVolumeClaim) {
            claims[claim.metadata.namespace ?? "default", default: []].insert(claim.metadata.name ?? "")
        }
        func remove(_ claim: PersistentVolumeClaim) {
            claims[claim.metadata.namespace ?? "default"]?.remove(claim.metadata.name ?? "")
        }
        func snapshot() -> [String: Set<String>] { claims }
    }

    func run() async throws {
        let known = Known()
        try await Informer(api: api, logger: logger, kind: "persistentvolumeclaims").run(PersistentVolumeClaim.self) { items in
            let all = await known.replace(items)
            removeOrphanDirectories(keeping: all)
            for claim in items { await bind(claim) }
            await node.claimsChanged(all)
        } onEvent: { type, claim in
            switch type {
            case .added, .modified:
                await known.add(claim)
                await bind(claim)
            case .deleted:
                await known.remove(claim)
                removeDirectory(of: claim)
            case .bookmark, .error:
                return
            }
            await node.claimsChanged(await known.snapshot())
        }
    }

    private func directory(of claim: PersistentVolumeClaim) throws(NodeAgentError) -> URL {
        try configuration.layout.volumeDirectory(namespace: claim.metadata.namespace ?? "default", claim: claim.metadata.name ?? "")
    }

    /// Binds `claim` unless it is bound already or being deleted.
    func bind(_ claim: PersistentVolumeClaim) async {
        guard claim.metadata.deletionTimestamp == nil, let name = claim.metadata.name, let uid = claim.metadata.uid else { return }
        let namespace = claim.metadata.namespace ?? "default"
        let directory: URL
        do {
            directory = try self.directory(of: claim)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            logger.error("cannot create the directory of claim \(namespace)/\(name): \(error)")
            return
        }
        do {
            if (claim.spec?.volumeName ?? "").isEmpty {
                _ = try await api.mergePatch(
                    PersistentVolumeClaim.self, namespace: namespace, name: name,
                    patch: .object(["spec": .object(["volumeName": .string("pvc-\(uid)")])]))
            }
            if claim.status?.phase != "Bound" {
                var status: [String: JSONValue] = ["phase": .string("Bound")]
                status["accessModes"] = .array((claim.spec?.accessModes ?? ["ReadWriteOnce"]).map(JSONValue.string))
                if let storage = claim.spec?.resources?.requests?["storage"] {
                    status["capacity"] = .object(["storage": .string(storage.value)])
                }
                _ = try await api.mergePatchStatus(
                    PersistentVolumeClaim.self, namespace: namespace, name: name,
                    patch: .object(["status": .object(status)]))
                logger.info("claim \(namespace)/\(name) bound to \(directory.path)")
            }
        } catch where error.isNotFoundAnswer {
            removeDirectory(of: claim)
        } catch {
            logger.warning("cannot bind claim \(namespace)/\(name): \(error)")
        }
    }

    private func removeDirectory(of claim: PersistentVolumeClaim) {
        guard let directory = try? directory(of: claim) else { return }
        if FileManager.default.fileExists(atPath: directory.path) {
            do {
                try FileManager.default.removeItem(at: directory)
                logger.info("removed the directory of deleted claim \(claim.metadata.namespace ?? "default")/\(claim.metadata.name ?? "")")
            } catch {
                logger.error("cannot remove \(directory.path): \(error)")
            }
        }
    }

    private func removeOrphanDirectories(keeping claims: [String: Set<String>]) {
        let root = configuration.dataDirectory.appendingPathComponent("volumes")
        let manager = FileManager.default
        for namespace in (try? manager.contentsOfDirectory(atPath: root.path)) ?? [] {
            let namespaceDirectory = root.appendingPathComponent(namespace)
            for claim in (try? manager.contentsOfDirectory(atPath: namespaceDirectory.path)) ?? []
            where !(claims[namespace]?.contains(claim) ?? false) {
                try? manager.removeItem(at: namespaceDirectory.appendingPathComponent(claim))
                logger.info("removed the directory of deleted claim \(namespace)/\(claim)")
            }
        }
    }
}
