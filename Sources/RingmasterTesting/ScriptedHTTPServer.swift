import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

// FAULT-INJECTION FAKE. The local API server is the real server for the
// tests; this scripted HTTP server exists only to produce exact fault
// sequences the real server cannot be made to produce deterministically
// (a watch dropped after exactly N events, 410 on one particular re-watch,
// 429 with a given Retry-After, 500 on one list, an answer slower than the
// client's timeout). Each test states the script it plays.

/// One request as the fake received it.
public struct FakeRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]

    public var bodyJSON: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
}

/// What the fake answers.
public enum FakeResponse: Sendable {
    /// A complete answer.
    case full(status: Int, headers: [String: String] = [:], body: String)
    /// A chunked answer, one chunk per element, then a clean end; or, when
    /// `abort` is true, the connection is closed without ending the body (a
    /// dropped watch).
    case stream(status: Int, chunks: AsyncStream<String>, abort: Bool = false)
    /// Waits (real time) before answering.
    indirect case delayed(Duration, FakeResponse)

    public static func json(_ status: Int, _ object: Any, headers: [String: String] = [:]) -> FakeResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return .full(status: status, headers: headers, body: String(decoding: data, as: UTF8.self))
    }

    public static func status(_ code: Int, reason: String, message: String = "scripted", headers: [String: String] = [:],
                       retryAfterSeconds: Int? = nil) -> FakeResponse {
        var object: [String: Any] = [
            "apiVersion": "v1", "kind": "Status", "status": "Failure", "code": code, "reason": reason, "message": message,
        ]
        if let retryAfterSeconds { object["details"] = ["retryAfterSeconds": retryAfterSeconds] }
        return .json(code, object, headers: headers)
    }
}

/// A scripted HTTP/1.1 server on 127.0.0.1 (port chosen by the OS).
public enum ScriptedHTTPServer {
    public typealias Handler = @Sendable (FakeRequest) async -> FakeResponse

    /// Runs the server for the duration of `body` and stops it afterwards.
    public static func with<T: Sendable>(
        _ handler: @escaping Handler, _ body: @Sendable (_ baseURL: String) async throws -> T
    ) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress!.port!
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await withThrowingDiscardingTaskGroup { connections in
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask { await serve(connection, handler) }
                        }
                    }
                }
                return nil
            }
            let result = try await body("http://127.0.0.1:\(port)")
            group.cancelAll()
            return result
        }
    }

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, _ handler: Handler
    ) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let received):
                    head = received
                    body = []
                case .body(let buffer):
                    body += buffer.readableBytesView
                case .end:
                    guard let head else { return }
                    let parts = head.uri.split(separator: "?", maxSplits: 1).map(String.init)
                    var query: [String: String] = [:]
                    if parts.count == 2 {
                        for item in parts[1].split(separator: "&") {
                            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
                            let key = pair[0].removingPercentEncoding ?? pair[0]
                            query[key] = pair.count == 2 ? (pair[1].removingPercentEncoding ?? pair[1]) : ""
                        }
                    }
                    var headers: [String: String] = [:]
                    for (name, value) in head.headers { headers[name.lowercased()] = value }
                    let request = FakeRequest(method: head.method.rawValue, path: parts[0], query: query,
                                              headers: headers, body: body)
                    var response = await handler(request)
                    while case .delayed(let delay, let inner) = response {
                        try await Task.sleep(for: delay)
                        response = inner
                    }
                    switch response {
                    case .full(let status, let extra, let text):
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: "application/json")
                        headers.add(name: "Content-Length", value: String(text.utf8.count))
                        for (name, value) in extra { headers.add(name: name, value: value) }
                        try await outbound.write(.head(HTTPResponseHead(
                            version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text))))
                        try await outbound.write(.end(nil))
                    case .stream(let status, let chunks, let abort):
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: "application/json")
                        headers.add(name: "Transfer-Encoding", value: "chunked")
                        try await outbound.write(.head(HTTPResponseHead(
                            version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)))
                        for await chunk in chunks {
                            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: chunk))))
                        }
                        if abort { return }  // closes the connection mid-body
                        try await outbound.write(.end(nil))
                    case .delayed:
                        break
                    }
                }
            }
        }
    }
}
