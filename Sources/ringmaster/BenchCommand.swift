import ArgumentParser

/// `ringmaster bench ...`: release-build benchmarks that print rows comparable
/// with the peer baselines measured in the same run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Ringmaster's engine, API server and operator.",
        subcommands: [
            // Benchmarks are registered here, one line each.
            BenchAllReduceCommand.self,
            BenchOperatorCommand.self,
            BenchAPIServerCommand.self,
            BenchInformerCommand.self,
        ]
    )
}
