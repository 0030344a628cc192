import ArgumentParser
import AsyncHTTPClient
import Foundation
import LocalCluster
import Logging
import NIOCore
import NIOFoundationCompat

/// `ringmaster bench apiserver`: create, list and watch throughput of the
/// local API server, in-process on a temporary data directory, over HTTPS
/// as its administrator (a client certificate in `system:masters`).
///
/// Prints TSV rows: benchmark, operation, objects, concurrency, seconds,
/// objects_per_second. `create` is acknowledged (durable) creates of
/// ConfigMaps from `--concurrency` clients; `list` is full lists of every
/// object, counted in objects returned; `watch` replays every create from
/// the resourceVersion before them.
struct BenchAPIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apiserver",
        abstract: "Measure create, list and watch throughput (objects/s) of the local API server.")

    @Option(help: "Objects to create.")
    var objects: Int = 2000

    @Option(help: "Concurrent clients creating objects.")
    var concurrency: Int = 8

    @Option(help: "Full lists to run.")
    var lists: Int = 5

    func validate() throws {
        guard objects > 0, concurrency > 0, lists > 0 else { throw ValidationError("--objects, --concurrency and --lists must be positive") }
    }

    func run() async throws {
        var logger = Logger(label: "ringmaster.bench.apiserver")
        logger.logLevel = .warning
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = LocalAPIServer(logger: logger)
        try await server.start(dataDirectory: directory)
        let base = server.baseURL.absoluteString + "/api/v1/namespaces/default/configmaps"
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            guard let pki = server.pki else { throw BenchAPIServerError(message: "the server has no PKI") }
            let tls = try pki.clientTLSConfiguration(user: LocalAPIServer.adminUser, groups: LocalAPIServer.adminGroups)
            // A request to `url` over TLS as the administrator.
            let authenticated: @Sendable (String) -> HTTPClientRequest = { url in
                var request = HTTPClientRequest(url: url)
                request.tlsConfiguration = tls
                return request
            }
            let startRV = try await Self.listResourceVersion(client, authenticated(base))
            print("benchmark\toperation\tobjects\tconcurrency\tseconds\tobjects_per_second")

            // Create.
            let clock = ContinuousClock()
            let total = objects
            let workers = concurrency
            let createTime = try await clock.measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<workers {
                        group.addTask {
                            var index = worker
                            while index < total {
                                let body = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bench-\#(index)"},"data":{"index":"\#(index)"}}"#
                                var request = authenticated(base)
                                request.method = .POST
                                request.headers.add(name: "Content-Type", value: "application/json")
                                request.body = .bytes(ByteBuffer(string: body))
                                let response = try await client.execute(request, timeout: .seconds(30))
                                _ = try await response.body.collect(upTo: 1 << 20)
                                guard response.status == .created else { throw BenchAPIServerError(message: "create answered \(response.status)") }
                                index += workers
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            Self.row("create", total, workers, createTime)

            // List.
            var listed = 0
            let listTime = try await clock.measure {
                for _ in 0..<lists {
                    let response = try await client.execute(authenticated(base), timeout: .seconds(60))
                    let body = try await response.body.collect(upTo: 1 << 30)
                    let list = try JSONDecoder().decode(ListCount.self, from: Data(buffer: body))
                    listed += list.items.count
                }
            }
            Self.row("list", listed, 1, listTime)

            // Watch: replay every create from the resourceVersion before them.
            var received = 0
            let watchTime = try await clock.measure {
                let response = try await client.execute(authenticated(base + "?watch=true&resourceVersion=\(startRV)&timeoutSeconds=120"), timeout: .seconds(120))
                var pending = ByteBuffer()
                outer: for try await var chunk in response.body {
                    pending.writeBuffer(&chunk)
                    while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                        pending.moveReaderIndex(to: newline + 1)
                        received += 1
                        if received >= total { break outer }
                    }
                    pending.discardReadBytes()
                }
            }
            Self.row("watch", received, 1, watchTime)
        } catch {
            try? await client.shutdown()
            try? await server.shutdown()
            throw error
        }
        try await client.shutdown()
        try await server.shutdown()
    }

    private struct ListCount: Decodable {
        struct Item: Decodable {}
        var items: [Item]
    }

    private static func listResourceVersion(_ client: HTTPClient, _ request: HTTPClientRequest) async throws -> String {
        struct Meta: Decodable { var metadata: [String: String] }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return try JSONDecoder().decode(Meta.self, from: Data(buffer: body)).metadata["resourceVersion"] ?? "0"
    }

    private static func row(_ operation: String, _ count: Int, _ concurrency: Int, _ duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        print(String(format: "apiserver\t%@\t%d\t%d\t%.6f\t%.1f", operation, count, concurrency, seconds, Double(count) / max(seconds, 1e-9)))
    }
}

/// The benchmark could not run as intended.
struct BenchAPIServerError: Error, CustomStringConvertible {
    var message: String
    var description: String { "bench apiserver: \(message)" }
}
