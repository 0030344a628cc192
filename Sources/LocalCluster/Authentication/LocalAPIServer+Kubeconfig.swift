import Foundation

extension LocalAPIServer {
    /// The administrator `writeKubeconfig(to:)` writes credentials for.
    public static let adminUser = "ringmaster-admin"
    /// The administrator's groups: `system:masters` is allowed everything.
    public static let adminGroups = [UserInfo.mastersGroup]

    /// Writes (mode 0600, atomically) a kubeconfig for the administrator:
    /// the cluster's CA as `certificate-authority-data`, and a new client
    /// certificate for `ringmaster-admin` in `system:masters`. Cluster,
    /// user and context are all named `ringmaster-local`; the namespace is
    /// `default`. Valid after `start`.
    public func writeKubeconfig(to url: URL) throws {
        try writeKubeconfig(to: url, user: Self.adminUser, groups: Self.adminGroups)
    }

    /// Writes a kubeconfig that authenticates as `user` in `groups` with a
    /// new client certificate from the cluster's CA (valid for `validity`).
    public func writeKubeconfig(to url: URL, user: String, groups: [String], validity: Duration = .seconds(365 * 86_400)) throws {
        let pki = try runningPKI()
        let issued = try pki.issueClientCertificate(user: user, groups: groups, validity: validity)
        let credentials = [
            "    client-certificate-data: \(Data(issued.certificatePEM.utf8).base64EncodedString())",
            "    client-key-data: \(Data(issued.privateKeyPEM.utf8).base64EncodedString())",
        ].joined(separator: "\n")
        try PrivateFiles.writeAtomically(Data(kubeconfig(pki: pki, userFields: credentials).utf8), to: url)
    }

    /// Writes a kubeconfig that authenticates with a bearer token (a static
    /// token, a ServiceAccount token), trusting the cluster's CA.
    public func writeKubeconfig(to url: URL, token: String) throws {
        let pki = try runningPKI()
        try PrivateFiles.writeAtomically(Data(kubeconfig(pki: pki, userFields: "    token: \(Self.yamlQuoted(token))").utf8), to: url)
    }

    /// A YAML double-quoted scalar (JSON string syntax).
    static func yamlQuoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private func runningPKI() throws -> LocalPKI {
        guard let pki else { throw LocalAPIServerError.notRunning }
        return pki
    }

    /// The kubeconfig text; `userFields` are the lines of the user's
    /// credentials, indented by four spaces.
    private func kubeconfig(pki: LocalPKI, userFields: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: ringmaster-local
          cluster:
            server: \(baseURL.absoluteString)
            certificate-authority-data: \(Data(pki.certificateAuthorityPEM.utf8).base64EncodedString())
        users:
        - name: ringmaster-local
          user:
        \(userFields)
        contexts:
        - name: ringmaster-local
          context:
            cluster: ringmaster-local
            user: ringmaster-local
            namespace: default
        current-context: ringmaster-local
        preferences: {}

        """
    }
}
