import Foundation
import KubeClient
import RingmasterTesting

// FAULT-INJECTION FAKE (see ScriptedHTTPServer.swift): a minimal list/watch
// protocol for configmaps in one namespace, whose faults are scripted per
// request so informer recovery can be tested step by step.

final class FakeConfigMapAPI: @unchecked Sendable {
    private let lock = NSLock()
    private var version = 0
    private var objects: [String: (rv: Int, data: String)] = [:]
    private var history: [(rv: Int, type: String, name: String, data: String)] = []
    private var watchers: [Int: (continuation: AsyncStream<String>.Continuation, remaining: Int?)] = [:]
    private var nextWatcher = 0

    // Scripted faults, consumed in order.
    var listFailures = 0
    var dropWatchesAfter: [Int] = []
    /// Answers the next watch with HTTP 410 after running `changesWhileAway`.
    var goneOnNextWatch = false
    /// Answers the next watch with a 200 stream holding one ERROR 410 event.
    var goneEventOnNextWatch = false
    var changesWhileAway: (() -> Void)?
    private(set) var lists = 0
    private(set) var watches = 0

    func locked<T>(_ body: () -> T) -> T {
        lock.lock(); defer { lock.unlock() }
        return body()
    }

    /// Name -> resourceVersion of what the server holds.
    var state: [String: String] { locked { objects.mapValues { String($0.rv) } } }

    func put(_ name: String, _ data: String) {
        let (line, targets) = locked { () -> (String, [Int]) in
            version += 1
            let type = objects[name] == nil ? "ADDED" : "MODIFIED"
            objects[name] = (version, data)
            history.append((version, type, name, data))
            return (Self.eventLine(type, name, version, data), Array(watchers.keys))
        }
        broadcast(line, to: targets)
    }

    func remove(_ name: String) {
        let result = locked { () -> (String, [Int])? in
            guard let old = objects.removeValue(forKey: name) else { return nil }
            version += 1
            history.append((version, "DELETED", name, old.data))
            return (Self.eventLine("DELETED", name, version, old.data), Array(watchers.keys))
        }
        if let (line, targets) = result { broadcast(line, to: targets) }
    }

    private func broadcast(_ line: String, to targets: [Int]) {
        for id in targets { send(line, to: id) }
    }

    private func send(_ line: String, to id: Int) {
        let finished: AsyncStream<String>.Continuation? = locked {
            guard var watcher = watchers[id] else { return nil }
            watcher.continuation.yield(line)
            if let remaining = watcher.remaining {
                watcher.remaining = remaining - 1
                if remaining - 1 <= 0 {
                    watchers[id] = nil
                    return watcher.continuation
                }
            }
            watchers[id] = watcher
            return nil
        }
        finished?.finish()
    }

    static func object(_ name: String, _ rv: Int, _ data: String) -> String {
        #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","namespace":"default","resourceVersion":"\#(rv)","uid":"uid-\#(name)"},"data":{"v":"\#(data)"}}"#
    }

    static func eventLine(_ type: String, _ name: String, _ rv: Int, _ data: String) -> String {
        #"{"type":"\#(type)","object":\#(object(name, rv, data))}"# + "\n"
    }

    func handle(_ request: FakeRequest) -> FakeResponse {
        guard request.path == "/api/v1/namespaces/default/configmaps" else {
            return .status(404, reason: "NotFound")
        }
        if request.query["watch"] == "true" { return watch(from: Int(request.query["resourceVersion"] ?? "") ?? 0) }
        return list()
    }

    private func list() -> FakeResponse {
        locked {
            lists += 1
            if listFailures > 0 {
                listFailures -= 1
                return .status(500, reason: "InternalError", message: "scripted list failure")
            }
            let items = objects.sorted { $0.key < $1.key }.map { Self.object($0.key, $0.value.rv, $0.value.data) }
            return .full(status: 200, body:
                #"{"apiVersion":"v1","kind":"ConfigMapList","metadata":{"resourceVersion":"\#(version)"},"items":[\#(items.joined(separator: ","))]}"#)
        }
    }

    private func watch(from rv: Int) -> FakeResponse {
        let (gone, goneEvent, away) = locked { () -> (Bool, Bool, (() -> Void)?) in
            watches += 1
            defer {
                goneOnNextWatch = false
                goneEventOnNextWatch = false
                changesWhileAway = nil
            }
            return (goneOnNextWatch, goneEventOnNextWatch, changesWhileAway)
        }
        away?()
        if gone { return .status(410, reason: "Expired", message: "too old resource version: \(rv)") }
        let (stream, continuation) = AsyncStream<String>.makeStream()
        if goneEvent {
            continuation.yield(#"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old","reason":"Expired","code":410}}"# + "\n")
            continuation.finish()
            return .stream(status: 200, chunks: stream)
        }
        let drop: Int? = locked { dropWatchesAfter.isEmpty ? nil : dropWatchesAfter.removeFirst() }
        let id = locked { () -> Int in
            nextWatcher += 1
            watchers[nextWatcher] = (continuation, drop)
            return nextWatcher
        }
        let replay = locked { history.filter { $0.rv > rv } }
        for event in replay { send(Self.eventLine(event.type, event.name, event.rv, event.data), to: id) }
        return .stream(status: 200, chunks: stream, abort: drop != nil)
    }
}
