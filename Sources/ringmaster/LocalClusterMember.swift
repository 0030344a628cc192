import Foundation
import ServiceLifecycle

/// A service of the local cluster that can only be built once the API server
/// serves (it needs the server's kubeconfig): `run()` waits for `readiness`,
/// builds the service with `make` from the kubeconfig and runs it until
/// graceful shutdown or cancellation (a graceful shutdown cancels it).
struct LocalClusterMember: ServiceLifecycle.Service {
    let name: String
    let readiness: LocalClusterReadiness
    let kubeconfig: URL
    let make: @Sendable (_ kubeconfig: URL) async throws -> any ServiceLifecycle.Service

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            guard await readiness.wait() != nil else { return }
            let service = try await make(kubeconfig)
            do {
                try await service.run()
            } catch is CancellationError {
                // Stopped by shutdown.
            }
        }
    }
}
