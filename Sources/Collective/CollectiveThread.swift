import Foundation

/// A dedicated thread that runs blocking collective work in submission order,
/// so that waiting on sockets never occupies the cooperative thread pool
/// (eight ranks in one process must not starve each other).
final class CollectiveThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false

    init(name: String) {
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.start()
    }

    /// Runs `body` on the thread and returns its result. Throws `closed` when
    /// the thread was stopped before the job could start.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws(CollectiveError) -> T) async throws(CollectiveError) -> T {
        let result: Result<T, CollectiveError> = await withCheckedContinuation { continuation in
            let accepted = submit {
                do throws(CollectiveError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            if !accepted { continuation.resume(returning: .failure(CollectiveError(.closed, "the communicator was shut down"))) }
        }
        return try result.get()
    }

    /// Lets queued jobs finish, then ends the thread. Idempotent.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}

/// Runs a blocking `body` on a new thread of its own and returns its result.
func onDedicatedThread<T: Sendable>(name: String, _ body: @escaping @Sendable () throws(CollectiveError) -> T) async throws(CollectiveError) -> T {
    let result: Result<T, CollectiveError> = await withCheckedContinuation { continuation in
        let thread = Thread {
            do throws(CollectiveError) {
                continuation.resume(returning: .success(try body()))
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        thread.name = name
        thread.start()
    }
    return try result.get()
}
