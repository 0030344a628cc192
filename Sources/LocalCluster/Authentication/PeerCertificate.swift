import NIOCore
import NIOSSL

/// The client certificate a TLS connection presented. The server's TLS
/// configuration (`LocalPKI.serverTLSConfiguration`) only completes a
/// handshake whose certificate chains to the cluster CA, so a certificate
/// found here is a verified one.
enum PeerCertificate {
    /// The user the connection's client certificate names; nil when it
    /// presented none (or the connection is not TLS). Call on the event loop.
    static func user(of context: ChannelHandlerContext) -> UserInfo? {
        guard let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate(),
              let der = try? certificate.toDERBytes() else { return nil }
        return RequestAuthenticator.user(fromCertificateDER: der)
    }
}

/// The credentials a request came with, as the connection handler read them
/// on the event loop, for `RequestAuthenticator` to judge off it.
struct RequestIdentity: Sendable {
    var certificateUser: UserInfo?
    var authorization: String?
}
