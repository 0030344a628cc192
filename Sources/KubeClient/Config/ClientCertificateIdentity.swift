import Foundation
import NIOSSL

/// A client certificate chain with its private key, parsed and checked to
/// belong together, ready to be presented in the TLS handshake.
struct ClientCertificateIdentity: Sendable, Hashable {
    /// The leaf certificate first, then any intermediates.
    let certificateChain: [NIOSSLCertificate]
    let privateKey: NIOSSLPrivateKey

    /// Parses PEM material.
    ///
    /// - Parameter source: names where the material came from, for error messages.
    /// - Throws: `KubeClientError(.tls)` when either part is not PEM, the
    ///   certificate is missing, or the key does not belong to the certificate.
    init(certificatePEM: Data, keyPEM: Data, source: String) throws {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM))
        } catch {
            throw KubeClientError(.tls, "\(source): the client certificate is not a PEM certificate", underlying: error)
        }
        guard let leaf = chain.first else {
            throw KubeClientError(.tls, "\(source): the client certificate data holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: Array(keyPEM), format: .pem)
        } catch {
            throw KubeClientError(.tls, "\(source): the client key is not a PEM private key", underlying: error)
        }
        // Building a TLS context checks that the key is the certificate's.
        var probe = TLSConfiguration.makeClientConfiguration()
        probe.certificateChain = chain.map { .certificate($0) }
        probe.privateKey = .privateKey(key)
        do {
            _ = try NIOSSLContext(configuration: probe)
        } catch {
            throw KubeClientError(.tls, "\(source): the client key does not belong to the client certificate", underlying: error)
        }
        self.certificateChain = chain
        self.privateKey = key
    }

    /// When the leaf certificate stops being valid.
    var notValidAfter: Date { Date(timeIntervalSince1970: TimeInterval(certificateChain[0].notValidAfter)) }

    /// When the leaf certificate starts being valid.
    var notValidBefore: Date { Date(timeIntervalSince1970: TimeInterval(certificateChain[0].notValidBefore)) }

    /// Throws `KubeClientError(.credentials)` unless the leaf certificate is valid at `now`.
    func checkValidity(at now: Date, source: String) throws {
        if now >= notValidAfter {
            throw KubeClientError(.credentials,
                "\(source): the client certificate expired at \(RFC3339.format(notValidAfter))")
        }
        if now < notValidBefore {
            throw KubeClientError(.credentials,
                "\(source): the client certificate is not valid before \(RFC3339.format(notValidBefore))")
        }
    }

    /// `base` presenting this identity.
    func applied(to base: TLSConfiguration) -> TLSConfiguration {
        var tls = base
        tls.certificateChain = certificateChain.map { .certificate($0) }
        tls.privateKey = .privateKey(privateKey)
        return tls
    }
}
