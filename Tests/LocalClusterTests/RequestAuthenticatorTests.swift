import Foundation
@testable import LocalCluster
import Testing

/// The pure parts of authentication: the token file, the order in which
/// credentials are tried, and what a client certificate says.
@Suite struct RequestAuthenticatorTests {
    @Test func aTokenFileReadsAsKubeApiserverReadsIt() throws {
        let file = try StaticTokenAuthenticator(csv: #"""
            t1,alice,100,"dev,ops"

            t2,bob,,
            t3,"carol ""the admin""",300,system:masters
            ,nobody,0
            t1,alice-again,101
            """#)
        #expect(file.authenticate(token: "t1") == UserInfo(name: "alice-again", uid: "101", groups: []))
        #expect(file.authenticate(token: "t2") == UserInfo(name: "bob", uid: "", groups: []))
        #expect(file.authenticate(token: "t3") == UserInfo(name: "carol \"the admin\"", uid: "300", groups: ["system:masters"]))
        #expect(file.authenticate(token: "") == nil)
        #expect(file.authenticate(token: "t4") == nil)

        let groups = try StaticTokenAuthenticator(csv: "t,u,1,\"a,b,c\"\r\n")
        #expect(groups.authenticate(token: "t")?.groups == ["a", "b", "c"])
    }

    @Test(arguments: ["token,user", "token", "t,u,1,\"unclosed"])
    func aMalformedTokenFileLineIsAnErrorNamingTheLine(line: String) throws {
        let error = #expect(throws: StaticTokenFileError.self) {
            _ = try StaticTokenAuthenticator(csv: "ok,user,1\n\(line)\n", source: "tokens.csv")
        }
        #expect(error?.message.hasPrefix("tokens.csv line 2:") == true)
    }

    struct Recording: TokenAuthenticator {
        var token: String
        var user: UserInfo
        func authenticate(token: String) -> UserInfo? { token == self.token ? user : nil }
    }

    @Test func credentialsAreTriedInKubeApiserversOrder() {
        let first = Recording(token: "a", user: UserInfo(name: "first", groups: ["g"]))
        let second = Recording(token: "b", user: UserInfo(name: "second", groups: [UserInfo.authenticatedGroup]))
        let authenticator = RequestAuthenticator(tokenAuthenticators: [first, second])
        let certificate = UserInfo(name: "cert", groups: ["o", UserInfo.authenticatedGroup])

        // A verified certificate wins over any header.
        #expect(authenticator.authenticate(path: "/api", certificateUser: certificate, authorization: "Bearer nope") == .authenticated(certificate))
        // Tokens, in order; system:authenticated added once.
        #expect(authenticator.authenticate(path: "/api", certificateUser: nil, authorization: "Bearer a")
                == .authenticated(UserInfo(name: "first", groups: ["g", UserInfo.authenticatedGroup])))
        #expect(authenticator.authenticate(path: "/api", certificateUser: nil, authorization: "bearer  b ")
                == .authenticated(UserInfo(name: "second", groups: [UserInfo.authenticatedGroup])))
        // Unknown tokens, other schemes and empty tokens are refused, probes or not.
        for header in ["Bearer c", "Basic YTpi", "Bearer", "Bearer   ", "a"] {
            #expect(authenticator.authenticate(path: "/api", certificateUser: nil, authorization: header) == .refused, "\(header)")
            #expect(authenticator.authenticate(path: "/healthz", certificateUser: nil, authorization: header) == .refused, "\(header)")
        }
        // No credentials: only the probes.
        for path in ["/healthz", "/livez", "/readyz", "/readyz/ping", "/livez/etcd"] {
            #expect(authenticator.authenticate(path: path, certificateUser: nil, authorization: nil) == .unauthenticatedProbe, "\(path)")
        }
        for path in ["/", "/api", "/version", "/healthzz", "/openapi/v2", "/apis/authentication.k8s.io/v1/selfsubjectreviews"] {
            #expect(authenticator.authenticate(path: path, certificateUser: nil, authorization: nil) == .refused, "\(path)")
        }
    }

    @Test func anIssuedClientCertificateNamesItsUserAndGroups() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-pki-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try LocalPKI.loadOrCreate(directory: directory)
        let issued = try pki.issueClientCertificate(user: "system:serviceaccount:ns:sa", groups: ["b-group", "a-group", "system:masters"])
        let user = try #require(RequestAuthenticator.user(fromCertificatePEM: issued.certificatePEM))
        #expect(user == UserInfo(name: "system:serviceaccount:ns:sa", groups: ["b-group", "a-group", "system:masters", UserInfo.authenticatedGroup]))
        #expect(throws: LocalPKIError.self) { _ = try pki.issueClientCertificate(user: "", groups: []) }
    }
}
