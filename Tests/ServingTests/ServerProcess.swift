import AsyncHTTPClient
import Collective
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOFoundationCompat

/// A real `ringmaster-worker serve` process on a free loopback port, its
/// log in a file; `stop()` sends SIGTERM and waits for it to exit.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let logPath: String
    let baseURL: String
    let client: HTTPClient

    /// Starts the server on `model` with `arguments` after `--model` and `--port`,
    /// and waits (at most `limit`) until `/v2/health/live` answers.
    init(model: String, arguments: [String] = [], directory: String, limit: Duration = .seconds(60)) async throws {
        port = try TCPCommunicator.freePorts(count: 1)[0]
        baseURL = "http://127.0.0.1:\(port)"
        logPath = directory + "/serve-\(UUID().uuidString.prefix(6)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: builtExecutable("ringmaster-worker"))
        process.arguments = ["serve", "--model", model, "--port", "\(port)"] + arguments
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        client = HTTPClient.shared
        try process.run()
        let deadline = ContinuousClock.now + limit
        while true {
            if !process.isRunning { throw ServerProcessError(message: "the server exited with \(process.terminationStatus):\n\(log)") }
            if let response = try? await get("/v2/health/live"), response.status == 200 { break }
            guard ContinuousClock.now < deadline else { throw ServerProcessError(message: "the server did not answer:\n\(log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    struct Answer {
        var status: Int
        var body: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
    }

    func get(_ path: String, token: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return try await execute(request)
    }

    func post(_ path: String, body: String, token: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(string: body))
        return try await execute(request)
    }

    func execute(_ request: HTTPClientRequest) async throws -> Answer {
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: body))
    }

    /// Whether a TCP connection to the server's port is accepted now. (An
    /// HTTP client's request would not say: AsyncHTTPClient retries a refused
    /// connection until the request's deadline.)
    func acceptsConnections() -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }

    /// A field of `/proc/<pid>/status` in kB (`VmRSS`, `VmHWM`).
    func memoryKilobytes(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    /// The value of a metric line without labels (`name value`) at `/metrics`.
    func metric(_ name: String, token: String? = nil) async throws -> Double? {
        let text = try await get("/metrics", token: token).body
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    /// Sends SIGTERM and waits for the exit status.
    func stop() async throws -> Int32 {
        if process.isRunning { process.terminate() }
        return try await waitForExit()
    }

    /// Waits for the process to exit by itself; its exit status.
    func waitForExit() async throws -> Int32 {
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

struct ServerProcessError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
