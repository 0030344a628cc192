import Collective

/// A `Communicator` that tells a `RankActivityTracker` when this rank waits
/// in a collective, so that its heartbeat says so. Every call goes to
/// `base` unchanged.
struct ActivityTrackingCommunicator: Communicator {
    let base: any Communicator
    let tracker: RankActivityTracker

    var rank: Int { base.rank }
    var worldSize: Int { base.worldSize }

    func allReduce(_ buffer: inout [Float], operation: ReduceOperation) async throws {
        await tracker.enter(.allReduce)
        do {
            try await base.allReduce(&buffer, operation: operation)
        } catch {
            await tracker.leave()
            throw error
        }
        await tracker.leave()
    }

    func broadcast(_ buffer: inout [Float], root: Int) async throws {
        await tracker.enter(.broadcast)
        do {
            try await base.broadcast(&buffer, root: root)
        } catch {
            await tracker.leave()
            throw error
        }
        await tracker.leave()
    }

    func barrier() async throws {
        await tracker.enter(.barrier)
        do {
            try await base.barrier()
        } catch {
            await tracker.leave()
            throw error
        }
        await tracker.leave()
    }

    func shutdown() async {
        await base.shutdown()
    }
}
