import Foundation
import Synchronization

/// Announces once that the local API server serves, to services started
/// beside it that need its address (the node agent, the in-process operator).
///
/// `wait()` returns the server's URL as soon as `announce(_:)` has been
/// called (at once if it already was), or nil if the waiting task is
/// cancelled first.
final class LocalClusterReadiness: Sendable {
    private struct State {
        var url: URL?
        var waiters: [UUID: CheckedContinuation<URL?, Never>] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// Records the server's URL and wakes every waiter. Later calls are ignored.
    func announce(_ url: URL) {
        let waiters: [CheckedContinuation<URL?, Never>] = state.withLock { state in
            guard state.url == nil else { return [] }
            state.url = url
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: url) }
    }

    /// The server's URL once announced; nil when cancelled before.
    func wait() async -> URL? {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<URL?, Never>) in
                let immediate: URL?? = state.withLock { state in
                    if let url = state.url { return .some(url) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }
}
