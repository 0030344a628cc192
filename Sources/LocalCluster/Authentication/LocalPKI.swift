import Crypto
import Foundation
import SwiftASN1
import X509
#if canImport(Glibc)
import Glibc
#endif

/// The local cluster's certificate authority, as kind and k3s keep one: an
/// ECDSA P-256 CA made on the first start of a data directory, the API
/// server's certificate signed by it, and client certificates issued on
/// demand (CN = user name, one O per group, the way kube-apiserver reads
/// them).
///
/// On disk, under `<dataDir>/pki/` (mode 0700): `ca.crt`, `ca.key`,
/// `server.crt`, `server.key`; key files are 0600. `loadOrCreate` reuses
/// them on every later start of the same directory, so kubeconfigs and
/// tokens made earlier stay valid across restarts; it issues a new server
/// certificate (from the same CA) only when the old one does not cover the
/// requested host or is about to expire.
///
/// A value type; safe to use from any thread.
public struct LocalPKI: Sendable {
    /// A certificate with its private key, both PEM.
    public struct IssuedCertificate: Sendable, Hashable {
        public var certificatePEM: String
        /// PKCS#8 (`-----BEGIN PRIVATE KEY-----`).
        public var privateKeyPEM: String
    }

    /// File names under the PKI directory.
    public static let certificateAuthorityFileName = "ca.crt"
    static let certificateAuthorityKeyFileName = "ca.key"
    static let serverCertificateFileName = "server.crt"
    static let serverKeyFileName = "server.key"

    /// The names every server certificate carries: loopback, and the names
    /// in-cluster clients use for the API server.
    public static let defaultServerNames = [
        "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
        "127.0.0.1", "::1",
    ]

    /// How long a new CA is valid.
    static let certificateAuthorityValidity: TimeInterval = 10 * 365 * 86_400
    /// How long a new server certificate is valid.
    static let serverValidity: TimeInterval = 365 * 86_400
    /// A server certificate closer than this to its end is replaced at start.
    static let serverRenewalMargin: TimeInterval = 30 * 86_400
    /// Certificates start this long before they are made, so a client whose
    /// clock is a little behind still accepts them (kubeadm does the same).
    static let backdating: TimeInterval = 3_600

    /// The directory holding the files.
    public let directory: URL
    /// The CA certificate, PEM: what clients trust (`certificate-authority-data`,
    /// a Pod's `ca.crt`).
    public let certificateAuthorityPEM: String
    /// The server certificate, PEM.
    public let serverCertificatePEM: String
    /// The server's private key, PEM.
    let serverKeyPEM: String
    private let authority: Certificate
    private let authorityKey: P256.Signing.PrivateKey

    /// The CA certificate's file (`<dir>/ca.crt`).
    public var certificateAuthorityFile: URL { directory.appendingPathComponent(Self.certificateAuthorityFileName) }

    /// The SHA-256 of the CA certificate's DER encoding, lowercase hex: two
    /// loads of the same directory give the same fingerprint.
    public var certificateAuthorityFingerprint: String {
        guard let der = try? Self.der(authority) else { return "" }
        return SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
    }

    /// Loads the PKI under `directory`, creating whatever is missing.
    ///
    /// - Parameters:
    ///   - serverHosts: host names or IP addresses the server certificate must
    ///     cover besides `defaultServerNames` (the address the server binds, when
    ///     it is another one). Wildcard addresses (`0.0.0.0`, `::`) are skipped.
    /// - Throws: `LocalPKIError` when existing files are unreadable or do not
    ///   belong together (a key that is not its certificate's, a server
    ///   certificate another CA signed is replaced, not an error), or the CA
    ///   has expired.
    public static func loadOrCreate(directory: URL, serverHosts: [String] = [], now: Date = Date()) throws -> LocalPKI {
        try PrivateFiles.makeDirectory(directory)
        let (authority, authorityKey) = try loadOrCreateAuthority(in: directory, now: now)
        let names = defaultServerNames + serverHosts.filter { !$0.isEmpty && $0 != "0.0.0.0" && $0 != "::" && !defaultServerNames.contains($0) }
        let server = try loadOrCreateServer(in: directory, names: names, authority: authority, authorityKey: authorityKey, now: now)
        return LocalPKI(
            directory: directory, certificateAuthorityPEM: try authority.serializeAsPEM().pemString,
            serverCertificatePEM: server.certificatePEM, serverKeyPEM: server.privateKeyPEM,
            authority: authority, authorityKey: authorityKey)
    }

    /// Issues a client certificate the API server accepts: CN = `user`, one
    /// O per entry of `groups` (`system:masters` makes an administrator),
    /// extended key usage clientAuth, valid from now for `validity`. Each call
    /// makes a new key. Nothing is written to disk.
    public func issueClientCertificate(user: String, groups: [String], validity: Duration = .seconds(365 * 86_400)) throws -> IssuedCertificate {
        guard !user.isEmpty else { throw LocalPKIError(message: "a client certificate needs a user name (its Common Name)") }
        let subject = try DistinguishedName {
            for group in groups { OrganizationName(group) }
            CommonName(user)
        }
        let seconds = TimeInterval(validity.components.seconds) + TimeInterval(validity.components.attoseconds) / 1e18
        return try issue(subject: subject, usage: .clientAuth, alternativeNames: [], validity: seconds, now: Date())
    }

    // MARK: Making and loading

    private init(directory: URL, certificateAuthorityPEM: String, serverCertificatePEM: String, serverKeyPEM: String,
                 authority: Certificate, authorityKey: P256.Signing.PrivateKey) {
        self.directory = directory
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.serverCertificatePEM = serverCertificatePEM
        self.serverKeyPEM = serverKeyPEM
        self.authority = authority
        self.authorityKey = authorityKey
    }

    private static func loadOrCreateAuthority(in directory: URL, now: Date) throws -> (Certificate, P256.Signing.PrivateKey) {
        let certificateFile = directory.appendingPathComponent(certificateAuthorityFileName)
        let keyFile = directory.appendingPathComponent(certificateAuthorityKeyFileName)
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: certificateFile.path) || fileManager.fileExists(atPath: keyFile.path) {
            let certificate = try readCertificate(certificateFile)
            let key = try readKey(keyFile)
            guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
                throw LocalPKIError(message: "\(keyFile.path) is not the key of \(certificateFile.path)")
            }
            guard certificate.notValidAfter > now else {
                throw LocalPKIError(message: "the local cluster's CA \(certificateFile.path) expired at \(certificate.notValidAfter); remove \(directory.path) to make a new one")
            }
            return (certificate, key)
        }
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let name = try DistinguishedName { CommonName("ringmaster-local-ca@\(Int(now.timeIntervalSince1970))") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-backdating), notValidAfter: now.addingTimeInterval(certificateAuthorityValidity),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        // The key first: a certificate without its key would be unusable.
        try PrivateFiles.writeAtomically(Data(key.pemRepresentation.utf8), to: keyFile)
        try PrivateFiles.writeAtomically(Data(try certificate.serializeAsPEM().pemString.utf8), to: certificateFile, mode: 0o644)
        return (certificate, key)
    }

    private static func loadOrCreateServer(in directory: URL, names: [String], authority: Certificate,
                                           authorityKey: P256.Signing.PrivateKey, now: Date) throws -> IssuedCertificate {
        let certificateFile = directory.appendingPathComponent(serverCertificateFileName)
        let keyFile = directory.appendingPathComponent(serverKeyFileName)
        if let certificate = try? readCertificate(certificateFile), let key = try? readKey(keyFile),
           certificate.publicKey == Certificate.PublicKey(key.publicKey),
           authority.publicKey.isValidSignature(certificate.signature, for: certificate),
           certificate.notValidAfter > now.addingTimeInterval(serverRenewalMargin),
           Set(names.map(alternativeName)).isSubset(of: Set((try? certificate.extensions.subjectAlternativeNames).map { Array($0) } ?? [])) {
            return IssuedCertificate(certificatePEM: try certificate.serializeAsPEM().pemString, privateKeyPEM: key.pemRepresentation)
        }
        let pki = LocalPKI(directory: directory, certificateAuthorityPEM: "", serverCertificatePEM: "", serverKeyPEM: "",
                           authority: authority, authorityKey: authorityKey)
        let issued = try pki.issue(subject: try DistinguishedName { CommonName("kube-apiserver") }, usage: .serverAuth,
                                   alternativeNames: names.map(alternativeName), validity: serverValidity, now: now)
        try PrivateFiles.writeAtomically(Data(issued.privateKeyPEM.utf8), to: keyFile)
        try PrivateFiles.writeAtomically(Data(issued.certificatePEM.utf8), to: certificateFile, mode: 0o644)
        return issued
    }

    /// A leaf certificate signed by the CA, with a new key.
    private func issue(subject: DistinguishedName, usage: ExtendedKeyUsage.Usage, alternativeNames: [GeneralName],
                       validity: TimeInterval, now: Date) throws -> IssuedCertificate {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let authorityKeyIdentifier = try authority.extensions.subjectKeyIdentifier?.keyIdentifier
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-Self.backdating), notValidAfter: now.addingTimeInterval(validity),
            issuer: authority.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([usage])
                AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier)
                if !alternativeNames.isEmpty { SubjectAlternativeNames(alternativeNames) }
            },
            issuerPrivateKey: Certificate.PrivateKey(authorityKey))
        return IssuedCertificate(certificatePEM: try certificate.serializeAsPEM().pemString, privateKeyPEM: key.pemRepresentation)
    }

    /// An IP address SAN for an address, a DNS name SAN otherwise.
    static func alternativeName(_ host: String) -> GeneralName {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(withUnsafeBytes(of: &v4) { Array($0) })))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(withUnsafeBytes(of: &v6) { Array($0) })))
        }
        return .dnsName(host)
    }

    /// The subject alternative names of a PEM certificate, as text: DNS
    /// names as they are, IP addresses in their usual notation.
    static func alternativeNames(ofCertificatePEM pem: String) throws -> [String] {
        let certificate = try Certificate(pemEncoded: pem)
        return (try certificate.extensions.subjectAlternativeNames ?? SubjectAlternativeNames()).compactMap { name in
            switch name {
            case .dnsName(let dns): return dns
            case .ipAddress(let address):
                let bytes = Array(address.bytes)
                let family = bytes.count == 4 ? AF_INET : AF_INET6
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                guard bytes.count == 4 || bytes.count == 16, inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil else { return nil }
                return String(cString: text)
            default: return nil
            }
        }
    }

    private static func readCertificate(_ file: URL) throws -> Certificate {
        do {
            return try Certificate(pemEncoded: String(contentsOf: file, encoding: .utf8))
        } catch {
            throw LocalPKIError(message: "cannot read the certificate \(file.path): \(error)")
        }
    }

    private static func readKey(_ file: URL) throws -> P256.Signing.PrivateKey {
        do {
            return try P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: file, encoding: .utf8))
        } catch {
            throw LocalPKIError(message: "cannot read the private key \(file.path): \(error)")
        }
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}

/// The local cluster's PKI could not be loaded or made.
public struct LocalPKIError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
