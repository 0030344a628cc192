import Foundation
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ringmaster local up --parent-pid <pid>`: ties the local cluster's life
/// to another process's (`ringmaster demo` passes its own), so that the
/// cluster and its workers stop even when that process is killed with
/// SIGKILL and cannot stop them.
///
/// `run()` polls every `interval` and returns once the process is gone:
/// when it was this process's parent, as soon as this process has been
/// handed to another parent (which also covers a recycled pid); otherwise
/// when `kill(pid, 0)` finds no such process. Run it with
/// `successTerminationBehavior: .gracefullyShutdownGroup`: its return
/// starts the group's orderly stop (the node agent stops the workers).
/// A graceful shutdown or cancellation ends it early, without error.
struct LocalClusterParentWatch: ServiceLifecycle.Service {
    let parentPID: pid_t
    var interval: Duration = .milliseconds(250)
    let logger: Logger

    /// Whether the watched process is gone, given whether it was the parent at start.
    static func isGone(_ pid: pid_t, wasParent: Bool) -> Bool {
        if wasParent { return getppid() != pid }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    func run() async throws {
        let wasParent = getppid() == parentPID
        logger.info("stopping when process \(parentPID) exits", metadata: ["isParent": "\(wasParent)"])
        do {
            try await cancelWhenGracefulShutdown {
                while !Self.isGone(parentPID, wasParent: wasParent) {
                    try await Task.sleep(for: interval)
                }
                logger.warning("process \(parentPID) has exited: stopping the local cluster and its workers")
            }
        } catch is CancellationError {
            // The cluster is stopping for another reason.
        }
    }
}
