import Synchronization

/// The running processes of one pod, and whether the pod is stopping.
///
/// Shared between the pod's worker and the paths that stop it (deletion,
/// the agent's shutdown, which arrives as a synchronous cancellation
/// handler), hence a lock rather than an actor. Once stopping, any process
/// added is told to stop at once, so no container starts unnoticed.
final class PodProcessTable: Sendable {
    private struct State {
        var processes: [String: LocalProcess] = [:]
        var stopGracePeriod: Duration?
    }

    private let state = Mutex(State())

    /// Whether the pod has been told to stop.
    var isStopping: Bool { state.withLock { $0.stopGracePeriod != nil } }

    /// Records a started process (and stops it at once if the pod is stopping).
    func add(_ process: LocalProcess, container: String) {
        let grace: Duration? = state.withLock { state in
            state.processes[container] = process
            return state.stopGracePeriod
        }
        if let grace { process.terminate(gracePeriod: grace) }
    }

    func remove(container: String) {
        state.withLock { _ = $0.processes.removeValue(forKey: container) }
    }

    /// Sends the processes of `containers` SIGTERM, then SIGKILL after
    /// `gracePeriod`, without stopping the pod (its sidecars, once its main
    /// containers have ended).
    func terminate(containers: [String], gracePeriod: Duration) {
        let processes = state.withLock { state in containers.compactMap { state.processes[$0] } }
        for process in processes { process.terminate(gracePeriod: gracePeriod) }
    }

    /// Marks the pod stopping and sends every process SIGTERM, then SIGKILL
    /// after `gracePeriod`. A later call with a shorter period shortens it.
    func stop(gracePeriod: Duration) {
        let processes: [LocalProcess] = state.withLock { state in
            if let current = state.stopGracePeriod, current <= gracePeriod { return [] }
            state.stopGracePeriod = gracePeriod
            return Array(state.processes.values)
        }
        for process in processes { process.terminate(gracePeriod: gracePeriod) }
    }
}
