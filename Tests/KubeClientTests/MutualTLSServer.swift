import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// An HTTPS server on 127.0.0.1 that requires every client to present a
/// certificate signed by the test CA (the TLS handshake fails otherwise).
///
/// It answers every request with a ConfigMap whose `data.commonName` is the
/// common name of the client certificate it saw, or with 401 Unauthorized when
/// that name is in `rejectedNames` (a credential the server no longer accepts).
/// It records the common names of all requests it answered.
enum MutualTLSServer {
    final class Log: Sendable {
        private let names = LockedStrings()
        var commonNames: [String] { names.all }
        func record(_ name: String) { names.append(name) }
    }

    /// Runs the server for the duration of `body` (given `https://127.0.0.1:<port>`) and stops it afterwards.
    /// It presents `certificates.serverCertificate` (for 127.0.0.1), or
    /// `certificates.namedServerCertificate` when `named`.
    static func with<T: Sendable>(
        _ certificates: TestCertificates, named: Bool = false, rejectedNames: Set<String> = [], log: Log = Log(),
        _ body: @Sendable (_ baseURL: String) async throws -> T
    ) async throws -> T {
        let (certificate, key) = named
            ? (certificates.namedServerCertificate, certificates.namedServerKey)
            : (certificates.serverCertificate, certificates.serverKey)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.path).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key.path, format: .pem)))
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificates.caCertificate.path))
        // Client certificates carry no host name; the chain to the CA is still verified and required.
        tls.certificateVerification = .noHostnameVerification
        let context = try NIOSSLContext(configuration: tls)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
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
                            connections.addTask { await serve(connection, rejectedNames: rejectedNames, log: log) }
                        }
                    }
                }
                return nil
            }
            let result = try await body("https://127.0.0.1:\(port)")
            group.cancelAll()
            return result
        }
    }

    /// The common name in a certificate's description (`...;common_name=<name>;...>`).
    static func commonName(_ certificate: NIOSSLCertificate) -> String {
        let text = certificate.description
        guard let range = text.range(of: "common_name=") else { return "" }
        return String(text[range.upperBound...].prefix { $0 != ";" && $0 != ">" })
    }

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, rejectedNames: Set<String>, log: Log
    ) async {
        // A failed handshake ends the connection with an error: nothing to answer.
        try? await connection.executeThenClose { inbound, outbound in
            for try await part in inbound {
                guard case .end = part else { continue }
                let peer = try await connection.channel.nioSSL_peerCertificate().get()
                let name = peer.map(commonName) ?? ""
                let status: HTTPResponseStatus
                let body: String
                if rejectedNames.contains(name) {
                    status = .unauthorized
                    body = #"{"apiVersion":"v1","kind":"Status","status":"Failure","reason":"Unauthorized","code":401,"message":"Unauthorized"}"#
                } else {
                    log.record(name)
                    status = .ok
                    body = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"d","resourceVersion":"1"},"data":{"commonName":"\#(name)"}}"#
                }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(body.utf8.count))
                try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
                try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
                try await outbound.write(.end(nil))
            }
        }
    }
}
