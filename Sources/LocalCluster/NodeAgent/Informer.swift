import KubeClient
import Logging

/// List, then watch from the list's resourceVersion, for ever: the
/// informer pattern, reduced to what the node agent needs.
///
/// After a watch ends cleanly it resumes from the last resourceVersion seen;
/// after `410 Gone` or any other failure it lists again (after a short pause
/// for failures), and `onList` receives the complete state, so nothing
/// missed in between is lost. Runs until cancelled.
struct Informer: Sendable {
    var api: any NodeAgentAPI
    var logger: Logger
    var kind: String

    func run<R: KubernetesResource>(
        _ type: R.Type,
        onList: @Sendable ([R]) async -> Void,
        onEvent: @Sendable (WatchEventType, R) async -> Void
    ) async throws {
        while !Task.isCancelled {
            var resourceVersion: String
            do {
                let list = try await api.list(type)
                await onList(list.items)
                resourceVersion = list.metadata.resourceVersion ?? "0"
            } catch {
                try Task.checkCancellation()
                logger.warning("cannot list \(kind): \(error)")
                try await Task.sleep(for: .seconds(1))
                continue
            }
            do {
                while !Task.isCancelled {
                    let events = try await api.watch(type, resourceVersion: resourceVersion)
                    for try await event in events {
                        if event.type == .error {
                            throw KubernetesAPIError(
                                status: event.status ?? Status(message: "watch error"),
                                httpCode: Int(event.status?.code ?? 500))
                        }
                        if let version = event.object?.metadata.resourceVersion { resourceVersion = version }
                        if let object = event.object, event.type != .bookmark {
                            await onEvent(event.type, object)
                        }
                    }
                }
            } catch {
                try Task.checkCancellation()
                if !error.isGoneAnswer {
                    logger.info("watch of \(kind) ended: \(error); listing again")
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
        }
        throw CancellationError()
    }
}
