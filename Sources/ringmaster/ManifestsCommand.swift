import ArgumentParser
import Foundation
import TrainingJobAPI

/// `ringmaster manifests`: writes the TrainingJob CRD generated from the
/// Swift schema (the controller-gen habit), or checks that it is current.
struct ManifestsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifests",
        abstract: "Generate the TrainingJob CRD from the Swift API types.",
        discussion: """
            Without --output-dir, writes \(TrainingJobCRD.fileName) into \
            \(TrainingJobCRD.outputDirectories.joined(separator: ", ")) under the package root \
            (the nearest directory above the current one holding Package.swift).
            """
    )

    @Option(name: .customLong("output-dir"), help: "A directory to write the CRD into (repeatable).")
    var outputDirectories: [String] = []

    @Flag(help: "Write nothing; exit with an error when a file is missing or stale.")
    var check = false

    func run() throws {
        let contents = try TrainingJobCRD.yaml()
        let directories = outputDirectories.isEmpty
            ? try defaultDirectories() : outputDirectories.map { URL(fileURLWithPath: $0) }
        var stale: [String] = []
        for directory in directories {
            let file = directory.appendingPathComponent(TrainingJobCRD.fileName)
            let current = try? String(contentsOf: file, encoding: .utf8)
            if check {
                if current != contents { stale.append(file.path) }
                continue
            }
            guard current != contents else {
                print("unchanged \(file.path)")
                continue
            }
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try contents.write(to: file, atomically: true, encoding: .utf8)
            print("wrote \(file.path)")
        }
        if !stale.isEmpty {
            throw ValidationError("stale or missing: \(stale.joined(separator: ", ")); run `make manifests`")
        }
    }

    private func defaultDirectories() throws -> [URL] {
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            guard directory.path != "/" else {
                throw ValidationError("no Package.swift above \(FileManager.default.currentDirectoryPath); pass --output-dir")
            }
            directory.deleteLastPathComponent()
        }
        return TrainingJobCRD.outputDirectories.map { directory.appendingPathComponent($0) }
    }
}
