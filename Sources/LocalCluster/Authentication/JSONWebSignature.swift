import Crypto
import Foundation

/// JWS compact serialisation (RFC 7515) with ES256 (ECDSA P-256 over
/// SHA-256, RFC 7518 §3.4), the one algorithm ServiceAccount tokens use here.
///
/// A token is `base64url(header) "." base64url(payload) "." base64url(r || s)`,
/// unpadded; the signature covers the ASCII of the first two parts. Pure
/// functions; safe to call from any thread.
enum JSONWebSignature {
    /// The protected header of a token signed by the key with `keyID`.
    struct Header: Codable, Equatable {
        var alg: String
        var kid: String?
        var typ: String?
    }

    /// Why a token could not be read or its signature did not verify.
    struct Failure: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// Signs `payload` (JSON) with `key`; the header names ES256 and `keyID`.
    static func sign(payload: Data, key: P256.Signing.PrivateKey, keyID: String) throws -> String {
        let header = try JSONEncoder().encode(Header(alg: "ES256", kid: keyID, typ: nil))
        let signingInput = base64URL(header) + "." + base64URL(payload)
        let signature = try key.signature(for: Data(signingInput.utf8))
        return signingInput + "." + base64URL(signature.rawRepresentation)
    }

    /// The payload of `token` when its signature verifies with `key`.
    ///
    /// Rejects tokens that are not three parts, whose header is not ES256, or
    /// whose signature is not 64 bytes of r || s valid for `key`.
    static func verifiedPayload(of token: String, key: P256.Signing.PublicKey) throws(Failure) -> Data {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw Failure(description: "not a JWS compact serialisation") }
        guard let headerData = decodeBase64URL(parts[0]), let payload = decodeBase64URL(parts[1]),
              let signatureData = decodeBase64URL(parts[2])
        else { throw Failure(description: "a part is not base64url") }
        guard let header = try? JSONDecoder().decode(Header.self, from: headerData), header.alg == "ES256" else {
            throw Failure(description: "the header does not name ES256")
        }
        guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureData),
              key.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8))
        else { throw Failure(description: "the signature does not verify") }
        return payload
    }

    /// Unpadded base64url.
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes unpadded (or padded) base64url; nil for anything else.
    static func decodeBase64URL(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if base64.contains("=") == false {
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        }
        return Data(base64Encoded: base64)
    }
}
