import ArgumentParser

/// `ringmaster`: the command line for developers and platform engineers.
///
/// Each subcommand lives in its own file (`<Name>Command.swift`).
@main
struct RingmasterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringmaster",
        abstract: "Run distributed training on Kubernetes.",
        subcommands: [
            // Subcommands are registered here, one line each.
            BenchCommand.self,
            DemoCommand.self,
            LocalCommand.self,
            ManifestsCommand.self,
        ]
    )
}
