import Foundation
import NIOSSL

extension LocalPKI {
    /// The API server's TLS configuration: it presents the server
    /// certificate, asks for a client certificate, and accepts a connection
    /// without one; a client certificate that is presented must chain to the
    /// CA and be within its validity, or the handshake fails.
    public func serverTLSConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(serverCertificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serverKeyPEM.utf8), format: .pem)))
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certificateAuthorityPEM.utf8)))
        configuration.certificateVerification = .optionalVerification
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        return configuration
    }

    /// A client TLS configuration that trusts only this CA and, when `user`
    /// is given, presents a new client certificate for that user and groups.
    /// For raw HTTP clients (tests, benchmarks); `KubeClient` reads the same
    /// material from a kubeconfig.
    public func clientTLSConfiguration(user: String? = nil, groups: [String] = []) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certificateAuthorityPEM.utf8)))
        if let user {
            let issued = try issueClientCertificate(user: user, groups: groups)
            configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(issued.privateKeyPEM.utf8), format: .pem))
        }
        return configuration
    }
}
