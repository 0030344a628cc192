import ControllerRuntime
import Foundation
import KubeClient
import RingmasterTesting
import Testing

/// Informer recovery from an exact sequence of faults (played by the
/// fault-injection fake), ending with the cache equal to the server.
@Suite struct InformerFaultTests {
    @Test func cacheEqualsServerAfterListFailureDroppedWatchGoneAndGoneEvent() async throws {
        let api = FakeConfigMapAPI()
        api.put("a", "1")
        api.put("b", "1")
        api.put("c", "1")
        api.listFailures = 1          // the first list answers 500
        api.dropWatchesAfter = [2, 1] // the first watch breaks after two events, the next stream after one
        try await ScriptedHTTPServer.with({ request in api.handle(request) }) { url in
            let client = try KubernetesClient(config: KubeConfig(server: url), options: ClientOptions(qps: nil, maxRetries: 0))
            let informer = Informer(client: client.configMaps, namespace: .namespace("default"),
                                    errorBackoff: .milliseconds(10))
            let events = informer.subscribe()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                await informer.waitForSync()
                #expect(api.lists == 2)
                #expect(informer.store.count == 3)
                try await waitUntil("first watch") { api.watches == 1 }

                // While the broken watch is down, the server moves on and compacts:
                // the re-watch gets 410 and the informer must relist.
                api.goneOnNextWatch = true
                api.changesWhileAway = {
                    api.remove("b")
                    api.put("c", "2")
                    api.put("e", "1")
                }
                api.put("a", "2")   // event 1 of the first watch
                api.put("d", "1")   // event 2, then the connection drops
                try await waitUntil("relist after 410") { api.lists == 3 }
                try await waitUntil("next watch") { api.watches >= 3 }

                // The next watch gets an in-stream ERROR 410 instead: relist again.
                api.goneEventOnNextWatch = true
                api.remove("a")
                try await waitUntil("relist after ERROR 410") { api.lists == 4 }
                api.put("f", "1")

                try await waitUntil("cache equals server") { Self.snapshot(informer) == api.state }
                #expect(Self.snapshot(informer) == api.state)
                #expect(Set(api.state.keys) == ["c", "d", "e", "f"])
                group.cancelAll()
            }
            // Every deletion reached subscribers, including those synthesized by relists.
            var deleted: Set<String> = []
            for await event in events {
                if case .deleted(let object) = event { deleted.insert(object.metadata.name ?? "") }
            }
            #expect(deleted == ["a", "b"])
        }
    }

    static func snapshot(_ informer: Informer<ConfigMap>) -> [String: String] {
        var result: [String: String] = [:]
        for object in informer.store.list() {
            result[object.metadata.name ?? ""] = object.metadata.resourceVersion ?? ""
        }
        return result
    }
}
