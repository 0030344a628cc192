import Foundation
import KubeClient
import Logging
import Synchronization
import Testing
@testable import LocalCluster

/// The node agent's refresh of a projected token, against an API that
/// issues short-lived tokens (a real server refuses lifetimes under 10 minutes).
@Suite("Node agent: ServiceAccount token refresh")
struct ServiceAccountTokenRefreshTests {
    /// Answers TokenRequests with `token-1`, `token-2`, ... valid for `lifetime`;
    /// the ServiceAccount exists. Nothing else is used.
    final class ShortLivedTokens: NodeAgentAPI {
        let lifetime: TimeInterval
        let issued = Mutex(0)
        let requests = Mutex<[TokenRequest]>([])

        init(lifetime: TimeInterval) { self.lifetime = lifetime }

        func serviceAccount(namespace: String, name: String) async throws -> UnstructuredObject? {
            UnstructuredObject(.object(["metadata": .object(["name": .string(name), "namespace": .string(namespace)])]))
        }

        func requestToken(namespace: String, serviceAccount: String, _ request: TokenRequest) async throws -> TokenRequest {
            let number = issued.withLock { $0 += 1; return $0 }
            requests.withLock { $0.append(request) }
            var answer = request
            answer.status = .init(token: "token-\(number)", expirationTimestamp: RFC3339.format(Date().addingTimeInterval(lifetime)))
            return answer
        }

        func list<R: KubernetesResource>(_ type: R.Type) async throws -> ResourceList<R> { fatalError("unused") }
        func watch<R: KubernetesResource>(_ type: R.Type, resourceVersion: String) async throws -> AsyncThrowingStream<WatchEvent<R>, any Error> {
            fatalError("unused")
        }
        func get<R: KubernetesResource>(_ type: R.Type, namespace: String, name: String) async throws -> R? { fatalError("unused") }
        func create<R: KubernetesResource>(_ object: R) async throws -> R { fatalError("unused") }
        func mergePatch<R: KubernetesResource>(_ type: R.Type, namespace: String, name: String, patch: JSONValue) async throws -> R {
            fatalError("unused")
        }
        func mergePatchStatus<R: HasStatusSubresource>(_ type: R.Type, namespace: String, name: String, patch: JSONValue) async throws -> R {
            fatalError("unused")
        }
        func delete<R: KubernetesResource>(_ type: R.Type, namespace: String, name: String, gracePeriodSeconds: Int64?, uid: String?) async throws {
            fatalError("unused")
        }
    }

    @Test func theTokenFileIsReplacedBeforeTheTokenExpires() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("sa-refresh-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: data) }
        let api = ShortLivedTokens(lifetime: 2)
        let pod = Pod(metadata: ObjectMeta(name: "p", namespace: "ml", uid: "pod-uid"), spec: PodSpec(containers: [], serviceAccountName: "trainer"))
        let configuration = NodeAgentConfiguration(
            dataDirectory: data, addressPool: try PodAddressPool(), retryInterval: .milliseconds(200),
            certificateAuthorityPEM: Data("CA".utf8), serviceAccountTokenLifetime: 600)
        let projector = ServiceAccountTokenProjector(pod: pod, configuration: configuration, api: api, logger: Logger(label: "test"))

        let projection = try #require(try await projector.project())
        let tokenFile = projection.directory.appendingPathComponent("token")
        #expect(try String(contentsOf: tokenFile, encoding: .utf8) == "token-1")
        #expect(try String(contentsOf: projection.directory.appendingPathComponent("namespace"), encoding: .utf8) == "ml")
        #expect(try String(contentsOf: projection.directory.appendingPathComponent("ca.crt"), encoding: .utf8) == "CA")
        let request = try #require(api.requests.withLock { $0.first })
        #expect(request.spec.expirationSeconds == 600)
        #expect(request.spec.boundObjectRef == .pod(name: "p", uid: "pod-uid"))

        let refresher = Task { await projector.keepFresh(projection) }
        defer { refresher.cancel() }
        // Each token is replaced at 80% of its 2 s: the file moves on while every earlier token is still valid.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        var seen: Set<String> = []
        while clock.now < deadline {
            let current = (try? String(contentsOf: tokenFile, encoding: .utf8)) ?? ""
            #expect(current.hasPrefix("token-"), "a reader saw a partly written token: \(current)")
            seen.insert(current)
            if seen.contains("token-3") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(seen.isSuperset(of: ["token-1", "token-2", "token-3"]), "\(seen)")
        refresher.cancel()
        _ = await refresher.value
        let attributes = try FileManager.default.attributesOfItem(atPath: tokenFile.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // No temporary files are left beside the three.
        #expect(try FileManager.default.contentsOfDirectory(atPath: projection.directory.path).sorted() == ["ca.crt", "namespace", "token"])
    }
}
