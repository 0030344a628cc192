import Crypto
import Foundation

/// The mutual authentication that opens every ring connection.
///
/// The connecting rank (C) and the accepting rank (A) each prove they hold
/// the job token without sending it:
///
/// 1. C -> A  hello:   magic, version, C's rank and world size, nonce_C
/// 2. A -> C  reply:   status, A's rank and world size, nonce_A,
///                     HMAC(token, "acceptor" | hello | reply-so-far)
/// 3. C -> A  proof:   status, HMAC(token, "connector" | hello | reply)
/// 4. A -> C  verdict: status
///
/// Each side verifies the other's MAC (in constant time) over both fresh
/// nonces, so a recorded exchange cannot be replayed. Rank and world size
/// are checked on both sides. All messages have fixed sizes, so nothing a
/// peer sends can make this code allocate more than a few dozen bytes.
enum PeerHandshake {
    static let magic: UInt32 = 0x3148_4D52 // "RMH1"
    static let version: UInt16 = 1
    static let helloSize = 48
    static let replySize = 80
    static let proofSize = 40
    static let verdictSize = 8

    enum Status: UInt16 {
        case ok = 0
        case wrongRank = 1
        case authenticationFailed = 2
    }

    static func nonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func mac(_ token: String, _ label: String, _ parts: [UInt8]...) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Data(token.utf8)))
        hmac.update(data: Data(label.utf8))
        for part in parts { hmac.update(data: part) }
        return Array(hmac.finalize())
    }

    static func validMAC(_ candidate: ArraySlice<UInt8>, _ token: String, _ label: String, _ parts: [UInt8]...) -> Bool {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Data(token.utf8)))
        hmac.update(data: Data(label.utf8))
        for part in parts { hmac.update(data: part) }
        // Comparing MACs goes through swift-crypto's constant-time equality.
        return hmac.finalize() == Data(candidate)
    }

    static func header(_ status: UInt16) -> [UInt8] {
        withUnsafeBytes(of: magic.littleEndian) { Array($0) } + withUnsafeBytes(of: status.littleEndian) { Array($0) } + [0, 0]
    }

    static func u32(_ value: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian) { Array($0) } }

    static func readU32(_ bytes: [UInt8], _ offset: Int) -> Int {
        Int(UInt32(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }))
    }

    static func readU16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt16.self) })
    }

    static func checkMagic(_ bytes: [UInt8], _ what: String) throws(CollectiveError) {
        guard readU32(bytes, 0) == Int(magic) else {
            throw CollectiveError(.protocolViolation, "\(what) does not start with the ring handshake magic (not a ring peer?)")
        }
    }

    /// Runs the connecting side on `socket` as `rank`, expecting to reach
    /// `expectedRank`. Throws `authenticationFailed` when either side's proof
    /// fails, `protocolViolation` when ranks or world sizes disagree.
    static func connector(socket: PosixSocket, rank: Int, expectedRank: Int, worldSize: Int, token: String,
                          peerName: String, deadline: ContinuousClock.Instant, abort: AbortFlag) throws(CollectiveError) {
        let hello = header(version) + u32(rank) + u32(worldSize) + nonce()
        try socket.writeAll(hello, deadline: deadline, abort: abort)
        let reply = try socket.readExactly(replySize, deadline: deadline, abort: abort)
        try checkMagic(reply, "the reply of \(peerName)")
        let peerRank = readU32(reply, 8)
        let peerWorld = readU32(reply, 12)
        switch Status(rawValue: readU16(reply, 4)) {
        case .ok:
            break
        case .wrongRank:
            throw CollectiveError(.protocolViolation,
                "\(peerName) (rank \(peerRank) of \(peerWorld)) refused this rank \(rank) of \(worldSize): the ranks disagree on ranks or world size")
        default:
            throw CollectiveError(.protocolViolation, "\(peerName) replied with unknown status \(readU16(reply, 4))")
        }
        guard peerRank == expectedRank, peerWorld == worldSize else {
            throw CollectiveError(.protocolViolation,
                "\(peerName) is rank \(peerRank) of \(peerWorld), expected rank \(expectedRank) of \(worldSize)")
        }
        guard validMAC(reply[48..<80], token, "ringmaster acceptor v1", hello, Array(reply[0..<48])) else {
            try? socket.writeAll(header(Status.authenticationFailed.rawValue) + [UInt8](repeating: 0, count: 32), deadline: deadline, abort: abort)
            throw CollectiveError(.authenticationFailed,
                "\(peerName) (rank \(peerRank)) could not prove it holds the job's auth token: the ranks were given different tokens")
        }
        let proof = header(Status.ok.rawValue) + mac(token, "ringmaster connector v1", hello, reply)
        try socket.writeAll(proof, deadline: deadline, abort: abort)
        let verdict = try socket.readExactly(verdictSize, deadline: deadline, abort: abort)
        try checkMagic(verdict, "the verdict of \(peerName)")
        guard Status(rawValue: readU16(verdict, 4)) == .ok else {
            throw CollectiveError(.authenticationFailed,
                "\(peerName) (rank \(peerRank)) refused this rank's proof of the auth token: the ranks were given different tokens")
        }
    }

    /// Runs the accepting side on `socket` as `rank`, expecting `expectedRank`
    /// to be connecting. Throws like `connector`.
    static func acceptor(socket: PosixSocket, rank: Int, expectedRank: Int, worldSize: Int, token: String,
                         peerName: String, deadline: ContinuousClock.Instant, abort: AbortFlag) throws(CollectiveError) {
        let hello = try socket.readExactly(helloSize, deadline: deadline, abort: abort)
        try checkMagic(hello, "the hello of \(peerName)")
        guard readU16(hello, 4) == version else {
            throw CollectiveError(.protocolViolation, "\(peerName) speaks handshake version \(readU16(hello, 4)), expected \(version)")
        }
        let peerRank = readU32(hello, 8)
        let peerWorld = readU32(hello, 12)
        guard peerRank == expectedRank, peerWorld == worldSize else {
            let refusal = header(Status.wrongRank.rawValue) + u32(rank) + u32(worldSize) + [UInt8](repeating: 0, count: 64)
            try? socket.writeAll(refusal, deadline: deadline, abort: abort)
            throw CollectiveError(.protocolViolation,
                "\(peerName) connected as rank \(peerRank) of \(peerWorld), expected rank \(expectedRank) of \(worldSize)")
        }
        let replyStart = header(Status.ok.rawValue) + u32(rank) + u32(worldSize) + nonce()
        let reply = replyStart + mac(token, "ringmaster acceptor v1", hello, replyStart)
        try socket.writeAll(reply, deadline: deadline, abort: abort)
        let proof = try socket.readExactly(proofSize, deadline: deadline, abort: abort)
        try checkMagic(proof, "the proof of \(peerName)")
        guard Status(rawValue: readU16(proof, 4)) == .ok else {
            throw CollectiveError(.authenticationFailed,
                "\(peerName) (rank \(peerRank)) refused this rank's proof of the auth token: the ranks were given different tokens")
        }
        guard validMAC(proof[8..<40], token, "ringmaster connector v1", hello, reply) else {
            try? socket.writeAll(header(Status.authenticationFailed.rawValue), deadline: deadline, abort: abort)
            throw CollectiveError(.authenticationFailed,
                "\(peerName) (claiming rank \(peerRank)) could not prove it holds the job's auth token: refused")
        }
        try socket.writeAll(header(Status.ok.rawValue), deadline: deadline, abort: abort)
    }
}
