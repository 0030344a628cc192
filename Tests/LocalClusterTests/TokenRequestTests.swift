import Foundation
import KubeClient
@testable import LocalCluster
import RingmasterTesting
import Testing

/// The TokenRequest API (`serviceaccounts/{name}/token`) over HTTP, and the
/// `default` ServiceAccount every namespace gets.
@Suite("ServiceAccount TokenRequest API")
struct TokenRequestTests {
    static func tokenRequest(expirationSeconds: Int64? = nil, audiences: [String]? = nil, boundTo reference: JSONValue? = nil) -> JSONValue {
        var spec: [String: JSONValue] = [:]
        if let expirationSeconds { spec["expirationSeconds"] = .integer(expirationSeconds) }
        if let audiences { spec["audiences"] = .array(audiences.map(JSONValue.string)) }
        if let reference { spec["boundObjectRef"] = reference }
        return .object(["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": .object(spec)])
    }

    static func podReference(_ pod: JSONValue, uid: String? = nil) -> JSONValue {
        .object([
            "kind": "Pod", "apiVersion": "v1", "name": pod["metadata"]?["name"] ?? .null,
            "uid": .string(uid ?? pod["metadata"]?["uid"]?.stringValue ?? ""),
        ])
    }

    static func pod(_ name: String, serviceAccount: String) -> JSONValue {
        .object([
            "apiVersion": "v1", "kind": "Pod", "metadata": .object(["name": .string(name)]),
            "spec": .object(["serviceAccountName": .string(serviceAccount), "containers": .array([.object(["name": "main", "image": "x"])])]),
        ])
    }

    @Test func aTokenRequestAnswersWithASignedTokenThatAuthenticates() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        let account = try await api.post("/api/v1/namespaces/default/serviceaccounts", .object(["metadata": .object(["name": "trainer"])]))
        #expect(account.status == 201)
        let before = Date()
        let answer = try await api.post("/api/v1/namespaces/default/serviceaccounts/trainer/token", Self.tokenRequest())
        #expect(answer.status == 201, "\(answer.text)")
        #expect(answer.body["kind"]?.stringValue == "TokenRequest")
        #expect(answer.body["apiVersion"]?.stringValue == "authentication.k8s.io/v1")
        #expect(answer.body["metadata"]?["name"]?.stringValue == "trainer")
        #expect(answer.body["spec"]?["expirationSeconds"]?.intValue == 3600)
        #expect(answer.body["spec"]?["audiences"] == .array(["https://kubernetes.default.svc.cluster.local"]))
        let token = try #require(answer.body["status"]?["token"]?.stringValue)
        let expiration = try #require(answer.body["status"]?["expirationTimestamp"]?.stringValue.flatMap(RFC3339.parse))
        #expect(abs(expiration.timeIntervalSince(before) - 3600) < 120)

        let authenticator = try #require(cluster.server.serviceAccountTokens)
        let user = try authenticator.validate(token: token)
        #expect(user.name == "system:serviceaccount:default:trainer")
        #expect(user.uid == account.body["metadata"]?["uid"]?.stringValue)

        // Deleting the ServiceAccount revokes the token.
        #expect(try await api.delete("/api/v1/namespaces/default/serviceaccounts/trainer").status == 200)
        #expect(authenticator.authenticate(token: token) == nil)
        try await cluster.shutdown()
    }

    @Test func aTokenBoundToAPodNamesItAndDiesWithIt() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        let pod = try await api.post("/api/v1/namespaces/default/pods", Self.pod("p", serviceAccount: "default"))
        #expect(pod.status == 201)
        let answer = try await api.post("/api/v1/namespaces/default/serviceaccounts/default/token",
                                        Self.tokenRequest(expirationSeconds: 600, audiences: ["https://kubernetes.default.svc.cluster.local", "extra"], boundTo: Self.podReference(pod.body)))
        #expect(answer.status == 201, "\(answer.text)")
        #expect(answer.body["spec"]?["expirationSeconds"]?.intValue == 600)
        #expect(answer.body["spec"]?["boundObjectRef"]?["name"]?.stringValue == "p")
        let token = try #require(answer.body["status"]?["token"]?.stringValue)
        let authenticator = try #require(cluster.server.serviceAccountTokens)
        let user = try authenticator.validate(token: token)
        #expect(user.extra[ServiceAccountTokenAuthenticator.podNameKey] == ["p"])
        #expect(user.extra[ServiceAccountTokenAuthenticator.podUIDKey] == [pod.body["metadata"]?["uid"]?.stringValue ?? "?"])

        // Pod deleted (grace period 0: the object goes at once) -> the token is refused.
        _ = try await api.request(.DELETE, "/api/v1/namespaces/default/pods/p?gracePeriodSeconds=0")
        #expect(throws: ServiceAccountTokenError(.boundObjectGone, "pod default/p (uid \(user.extra[ServiceAccountTokenAuthenticator.podUIDKey]![0])) no longer exists")) {
            try authenticator.validate(token: token)
        }
        try await cluster.shutdown()
    }

    @Test func badTokenRequestsGetTheRealServersAnswers() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        let base = "/api/v1/namespaces/default/serviceaccounts"

        let short = try await api.post("\(base)/default/token", Self.tokenRequest(expirationSeconds: 300))
        #expect(short.status == 422)
        #expect(short.body["kind"]?.stringValue == "Status")
        #expect(short.body["reason"]?.stringValue == "Invalid")
        #expect(short.body["details"]?["causes"]?.arrayValue?.first?["field"]?.stringValue == "spec.expirationSeconds")
        #expect(short.body["message"]?.stringValue
            == "TokenRequest.authentication.k8s.io \"default\" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes")

        let missing = try await api.post("\(base)/nobody/token", Self.tokenRequest())
        #expect(missing.status == 404)
        #expect(missing.body["message"]?.stringValue == "serviceaccounts \"nobody\" not found")

        let other = try await api.post("/api/v1/namespaces/default/pods", Self.pod("runs-as-other", serviceAccount: "other"))
        let wrongAccount = try await api.post("\(base)/default/token", Self.tokenRequest(boundTo: Self.podReference(other.body)))
        #expect(wrongAccount.status == 400)
        #expect(wrongAccount.body["message"]?.stringValue
            == "cannot bind token for serviceaccount \"default\" to pod running with serviceaccount \"other\"")

        let mine = try await api.post("/api/v1/namespaces/default/pods", Self.pod("mine", serviceAccount: "default"))
        let wrongUID = try await api.post("\(base)/default/token", Self.tokenRequest(boundTo: Self.podReference(mine.body, uid: "stale")))
        #expect(wrongUID.status == 409)
        #expect(wrongUID.body["reason"]?.stringValue == "Conflict")

        let node = try await api.post("\(base)/default/token", Self.tokenRequest(boundTo: .object(["kind": "Node", "apiVersion": "v1", "name": "local"])))
        #expect(node.status == 400)
        #expect(node.body["message"]?.stringValue == "cannot bind token to object of type /v1, Kind=Node")

        let gone = try await api.post("\(base)/default/token", Self.tokenRequest(boundTo: .object(["kind": "Pod", "apiVersion": "v1", "name": "absent"])))
        #expect(gone.status == 404)

        var renamed = Self.tokenRequest()
        renamed["metadata"] = .object(["name": "someone-else"])
        let mismatch = try await api.post("\(base)/default/token", renamed)
        #expect(mismatch.status == 422)
        #expect(mismatch.body["details"]?["causes"]?.arrayValue?.first?["field"]?.stringValue == "metadata.name")

        let get = try await api.get("\(base)/default/token")
        #expect(get.status == 405)
        try await cluster.shutdown()
    }

    @Test func everyNamespaceHasADefaultServiceAccountAndDiscoveryListsTheTokenSubresource() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        #expect(try await api.get("/api/v1/namespaces/default/serviceaccounts/default").status == 200)
        #expect(try await api.get("/api/v1/namespaces/kube-system/serviceaccounts/default").status == 200)
        #expect(try await api.post("/api/v1/namespaces", .object(["metadata": .object(["name": "team-a"])])).status == 201)
        #expect(try await api.get("/api/v1/namespaces/team-a/serviceaccounts/default").status == 200)

        let discovery = try await api.get("/api/v1")
        let entry = discovery.body["resources"]?.arrayValue?.first { $0["name"]?.stringValue == "serviceaccounts/token" }
        #expect(entry?["kind"]?.stringValue == "TokenRequest")
        #expect(entry?["group"]?.stringValue == "authentication.k8s.io")
        #expect(entry?["verbs"] == .array(["create"]))
        try await cluster.shutdown()
    }

    @Test func kubectlCreateTokenPrintsATokenThatAuthenticates() async throws {
        let cluster = try await LocalClusterFixture.start()
        // kubectl sends both the ServiceAccount and the TokenRequest as protobuf.
        try await KubectlAcceptanceTests.kubectl(cluster, ["create", "serviceaccount", "robot"])
        let result = try await KubectlAcceptanceTests.kubectl(cluster, ["create", "token", "robot", "--duration", "20m"])
        let token = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let user = try #require(cluster.server.serviceAccountTokens).validate(token: token)
        #expect(user.name == "system:serviceaccount:default:robot")
        // The token is a credential kubectl can use: whoami names the ServiceAccount.
        let config = try cluster.writeKubeconfig(named: "robot.kubeconfig", token: token)
        let whoami = try await KubectlAcceptanceTests.kubectl(cluster, ["--kubeconfig", config, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])
        #expect(whoami.standardOutput == "system:serviceaccount:default:robot")
        try await cluster.shutdown()
    }
}
