import Foundation
import KubeClient
import TrainingJobAPI

/// Builds the Secret `<job>-ring-token` holding the random token the
/// workers authenticate each other with. The token is created once and
/// never rotated while the job lives; the Secret goes with the job.
public enum RingTokenSecretBuilder {
    /// Bytes of a fresh token.
    public static let tokenLength = 32

    /// A fresh random token (system CSPRNG).
    public static func randomToken() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<tokenLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The Secret with `token` as the hex string the workers read from
    /// `RINGMASTER_AUTH_TOKEN`.
    public static func build(_ job: TrainingJob, token: [UInt8]) -> Secret {
        let hex = token.map { String(format: "%02x", $0) }.joined()
        return Secret(
            metadata: job.childMetadata(job.childNames.ringTokenSecret),
            data: [WorkerLayout.tokenKey: Data(hex.utf8).base64EncodedString()],
            type: "Opaque")
    }
}
