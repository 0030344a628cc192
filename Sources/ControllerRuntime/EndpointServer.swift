import KubeClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server for probes and metrics: each GET is answered by
/// `route(path)`. `run()` blocks until cancelled and then closes the socket.
public final class EndpointServer: Sendable {
    /// An answer to one request.
    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        public var contentType: String
        public var body: [UInt8]

        public init(status: HTTPResponseStatus, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        public init(status: HTTPResponseStatus, text: String) {
            self.init(status: status, body: Array(text.utf8))
        }
    }

    public let host: String
    public let port: Int
    private let route: @Sendable (String) async -> Response
    private let logger: Logger
    private let bound = LockedState<(port: Int?, waiters: [CheckedContinuation<Int, Never>])>((nil, []))

    /// - Parameter address: `host:port`, `:port` (all interfaces) or a port;
    ///   port 0 picks a free port (see `boundPort()`).
    public init(address: String, logger: Logger, route: @escaping @Sendable (String) async -> Response) throws {
        let (host, port) = try Self.parse(address)
        self.host = host
        self.port = port
        self.route = route
        self.logger = logger
    }

    static func parse(_ address: String) throws -> (String, Int) {
        let trimmed = address.trimmingCharacters(in: .whitespaces)
        let host: String
        let portText: String
        if let colon = trimmed.lastIndex(of: ":") {
            host = String(trimmed[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            portText = String(trimmed[trimmed.index(after: colon)...])
        } else {
            host = ""
            portText = trimmed
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw KubeClientError(.configuration, "bind address \"\(address)\" is not host:port")
        }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    /// The port actually bound, once listening.
    public func boundPort() async -> Int {
        await withCheckedContinuation { continuation in
            let port = bound.withLock { state -> Int? in
                if let port = state.port { return port }
                state.waiters.append(continuation)
                return nil
            }
            if let port { continuation.resume(returning: port) }
        }
    }

    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress?.port ?? self.port
        let waiters = bound.withLock { state -> [CheckedContinuation<Int, Never>] in
            state.port = port
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
        logger.info("serving", metadata: ["address": "\(host):\(port)"])
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var path = "/"
                var keepAlive = true
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "/")
                        keepAlive = head.isKeepAlive
                    case .body:
                        break
                    case .end:
                        let response = await route(path)
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: response.contentType)
                        headers.add(name: "Content-Length", value: String(response.body.count))
                        if !keepAlive { headers.add(name: "Connection", value: "close") }
                        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                        try await outbound.write(.end(nil))
                        if !keepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }
}

import Foundation
