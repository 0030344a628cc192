import AsyncHTTPClient
import Foundation
import KubeClient
@testable import LocalCluster
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import RingmasterTesting
import Testing

/// `kubectl create` and `kubectl run`: kubectl sends built-in kinds as
/// `application/vnd.kubernetes.protobuf` and asks for protobuf back, so each
/// command proves both directions; `kubectl get -o json` then shows what the
/// server stored.
@Suite struct KubectlCreateTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// Arguments after `kubectl`.
        var command: [String]
        /// The object to read back: `kind/name`.
        var object: String
        var check: @Sendable (JSONValue) -> Void

        var testDescription: String { name }
    }

    static func base64(_ text: String) -> JSONValue { .string(Data(text.utf8).base64EncodedString()) }

    static let cases: [Case] = [
        Case(name: "namespace", command: ["create", "namespace", "team-a"], object: "namespace/team-a") { object in
            #expect(object["kind"] == .string("Namespace"))
            #expect(object["metadata"]?["name"] == .string("team-a"))
            #expect(object["metadata"]?["uid"]?.stringValue?.isEmpty == false)
            #expect(object["metadata"]?["creationTimestamp"]?.stringValue != nil)
            #expect(object["metadata"]?["generateName"] == nil)
        },
        Case(name: "configmap", command: ["create", "configmap", "settings", "--from-literal=a=1", "--from-literal=b=two"],
             object: "configmap/settings") { object in
            #expect(object["data"] == .object(["a": .string("1"), "b": .string("two")]))
        },
        Case(name: "secret generic", command: ["create", "secret", "generic", "ring", "--from-literal=token=s3cret"], object: "secret/ring") { object in
            #expect(object["data"] == .object(["token": KubectlCreateTests.base64("s3cret")]))
        },
        Case(name: "secret docker-registry",
             command: ["create", "secret", "docker-registry", "registry", "--docker-server=registry.example", "--docker-username=u", "--docker-password=p"],
             object: "secret/registry") { object in
            #expect(object["type"] == .string("kubernetes.io/dockerconfigjson"))
            let encoded = object["data"]?[".dockerconfigjson"]?.stringValue ?? ""
            let config = Data(base64Encoded: encoded).flatMap { try? JSONCoding.decode($0) }
            #expect(config?["auths"]?["registry.example"]?["username"] == .string("u"))
            #expect(config?["auths"]?["registry.example"]?["password"] == .string("p"))
        },
        Case(name: "serviceaccount", command: ["create", "serviceaccount", "worker"], object: "serviceaccount/worker") { object in
            #expect(object["kind"] == .string("ServiceAccount"))
            #expect(object["metadata"]?["namespace"] == .string("default"))
        },
        Case(name: "service clusterip", command: ["create", "service", "clusterip", "web", "--tcp=80:8080"], object: "service/web") { object in
            #expect(object["spec"]?["type"] == .string("ClusterIP"))
            #expect(object["spec"]?["selector"] == .object(["app": .string("web")]))
            #expect(object["spec"]?["ports"]?[0]?["port"] == .integer(80))
            #expect(object["spec"]?["ports"]?[0]?["targetPort"] == .integer(8080))
            #expect(object["spec"]?["ports"]?[0]?["protocol"] == .string("TCP"))
        },
        Case(name: "deployment", command: ["create", "deployment", "web", "--image=busybox", "--replicas=0", "--port=8080"],
             object: "deployment/web") { object in
            #expect(object["spec"]?["replicas"] == .integer(0), "an explicit replicas: 0 must survive")
            #expect(object["spec"]?["selector"]?["matchLabels"] == .object(["app": .string("web")]))
            let container = object["spec"]?["template"]?["spec"]?["containers"]?[0]
            #expect(container?["image"] == .string("busybox"))
            #expect(container?["ports"]?[0]?["containerPort"] == .integer(8080))
        },
        Case(name: "job", command: ["create", "job", "once", "--image=busybox", "--", "echo", "hi"], object: "job/once") { object in
            #expect(object["apiVersion"] == .string("batch/v1"))
            #expect(object["spec"]?["template"]?["spec"]?["restartPolicy"] == .string("Never"))
            #expect(object["spec"]?["template"]?["spec"]?["containers"]?[0]?["command"] == .array([.string("echo"), .string("hi")]))
        },
        Case(name: "cronjob", command: ["create", "cronjob", "nightly", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"],
             object: "cronjob/nightly") { object in
            #expect(object["spec"]?["schedule"] == .string("*/5 * * * *"))
            let pod = object["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"]
            #expect(pod?["restartPolicy"] == .string("OnFailure"))
            #expect(pod?["containers"]?[0]?["command"] == .array([.string("date")]))
        },
        Case(name: "role", command: ["create", "role", "reader", "--verb=get,list", "--resource=pods,pods/log"], object: "role/reader") { object in
            #expect(object["rules"] == .array([.object([
                "apiGroups": .array([.string("")]), "resources": .array([.string("pods"), .string("pods/log")]), "verbs": .array([.string("get"), .string("list")]),
            ])]))
        },
        Case(name: "rolebinding", command: ["create", "rolebinding", "reader", "--role=reader", "--serviceaccount=default:worker", "--user=alice"],
             object: "rolebinding/reader") { object in
            #expect(object["roleRef"] == .object(["apiGroup": .string("rbac.authorization.k8s.io"), "kind": .string("Role"), "name": .string("reader")]))
            let subjects = object["subjects"]?.arrayValue ?? []
            #expect(subjects.contains(.object(["kind": .string("ServiceAccount"), "name": .string("worker"), "namespace": .string("default")])))
            #expect(subjects.contains(.object(["kind": .string("User"), "apiGroup": .string("rbac.authorization.k8s.io"), "name": .string("alice")])))
        },
        Case(name: "clusterrole", command: ["create", "clusterrole", "watcher", "--verb=get,list,watch", "--resource=namespaces"],
             object: "clusterrole/watcher") { object in
            #expect(object["rules"]?[0]?["resources"] == .array([.string("namespaces")]))
            #expect(object["rules"]?[0]?["verbs"] == .array([.string("get"), .string("list"), .string("watch")]))
        },
        Case(name: "clusterrole aggregated", command: ["create", "clusterrole", "aggregate", "--aggregation-rule=example.com/aggregate=true"],
             object: "clusterrole/aggregate") { object in
            #expect(object["aggregationRule"]?["clusterRoleSelectors"]?[0]?["matchLabels"] == .object(["example.com/aggregate": .string("true")]))
        },
        Case(name: "clusterrolebinding", command: ["create", "clusterrolebinding", "watcher", "--clusterrole=watcher", "--group=devs"],
             object: "clusterrolebinding/watcher") { object in
            #expect(object["roleRef"]?["kind"] == .string("ClusterRole"))
            #expect(object["subjects"] == .array([.object(["kind": .string("Group"), "apiGroup": .string("rbac.authorization.k8s.io"), "name": .string("devs")])]))
        },
        Case(name: "priorityclass", command: ["create", "priorityclass", "high", "--value=1000", "--description=training", "--preemption-policy=Never"],
             object: "priorityclass/high") { object in
            #expect(object["value"] == .integer(1000))
            #expect(object["description"] == .string("training"))
            #expect(object["preemptionPolicy"] == .string("Never"))
        },
        Case(name: "quota", command: ["create", "quota", "limits", "--hard=cpu=2,pods=4,requests.memory=1Gi"], object: "resourcequota/limits") { object in
            #expect(object["spec"]?["hard"] == .object(["cpu": .string("2"), "pods": .string("4"), "requests.memory": .string("1Gi")]))
        },
        Case(name: "poddisruptionbudget", command: ["create", "poddisruptionbudget", "workers", "--selector=app=web", "--min-available=0"],
             object: "poddisruptionbudget/workers") { object in
            #expect(object["spec"]?["minAvailable"] == .integer(0), "an explicit minAvailable: 0 must survive")
            #expect(object["spec"]?["selector"]?["matchLabels"] == .object(["app": .string("web")]))
        },
        Case(name: "run", command: ["run", "shell", "--image=busybox", "--restart=Never", "--labels=app=shell", "--env=A=1", "--", "sleep", "3600"],
             object: "pod/shell") { object in
            #expect(object["metadata"]?["labels"] == .object(["app": .string("shell")]))
            #expect(object["spec"]?["restartPolicy"] == .string("Never"))
            let container = object["spec"]?["containers"]?[0]
            #expect(container?["image"] == .string("busybox"))
            #expect(container?["args"] == .array([.string("sleep"), .string("3600")]))
            #expect(container?["env"] == .array([.object(["name": .string("A"), "value": .string("1")])]))
        },
    ]

    @discardableResult
    static func kubectl(_ cluster: LocalClusterFixture, _ arguments: [String], allowFailure: Bool = false) async throws -> ProcessResult {
        try await KubectlAcceptanceTests.kubectl(cluster, arguments, allowFailure: allowFailure)
    }

    static func getJSON(_ cluster: LocalClusterFixture, _ object: String) async throws -> JSONValue {
        let result = try await kubectl(cluster, ["get", object, "-o", "json"])
        return try JSONCoding.decode(Data(result.standardOutput.utf8))
    }

    @Test(arguments: cases)
    func createsAndStores(_ testCase: Case) async throws {
        let cluster = try await LocalClusterFixture.start()
        let created = try await Self.kubectl(cluster, testCase.command)
        #expect(created.standardOutput.contains("created"), "\(created.combinedOutput)")
        testCase.check(try await Self.getJSON(cluster, testCase.object))
        try await cluster.shutdown()
    }

    @Test func createsATLSSecretFromFiles() async throws {
        let cluster = try await LocalClusterFixture.start()
        let directory = cluster.dataDirectory.appendingPathComponent("tls-input", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cert = directory.appendingPathComponent("tls.crt").path, key = directory.appendingPathComponent("tls.key").path
        let openssl = try await ProcessRunner.run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=web", "-days", "1",
             "-keyout", key, "-out", cert],
            timeout: .seconds(60))
        try #require(openssl.status == 0, "\(openssl.combinedOutput)")
        try await Self.kubectl(cluster, ["create", "secret", "tls", "web-tls", "--cert=\(cert)", "--key=\(key)"])
        let secret = try await Self.getJSON(cluster, "secret/web-tls")
        #expect(secret["type"] == .string("kubernetes.io/tls"))
        let certificate = try #require(FileManager.default.contents(atPath: cert))
        #expect(secret["data"]?["tls.crt"] == .string(certificate.base64EncodedString()))
        #expect(secret["data"]?["tls.key"]?.stringValue?.isEmpty == false)
        try await cluster.shutdown()
    }

    @Test func errorsComeBackAsProtobufStatus() async throws {
        let cluster = try await LocalClusterFixture.start()
        try await Self.kubectl(cluster, ["create", "namespace", "team-a"])
        // kubectl reads the 409 Status from a protobuf body and prints its reason and message.
        let again = try await Self.kubectl(cluster, ["create", "namespace", "team-a"], allowFailure: true)
        #expect(again.status != 0)
        #expect(again.standardError.contains("Error from server (AlreadyExists): namespaces \"team-a\" already exists"), "\(again.standardError)")
        try await Self.kubectl(cluster, ["create", "configmap", "gone", "--from-literal=a=b"])
        let deleted = try await Self.kubectl(cluster, ["delete", "configmap", "gone", "--grace-period=0"])
        #expect(deleted.standardOutput.contains("configmap \"gone\" deleted"), "\(deleted.combinedOutput)")
        let missing = try await Self.kubectl(cluster, ["get", "configmap", "gone"], allowFailure: true)
        #expect(missing.standardError.contains("NotFound"))
        try await cluster.shutdown()
    }

    @Test func newKindsAreDiscoverableByShortNameAndCategory() async throws {
        let cluster = try await LocalClusterFixture.start()
        try await Self.kubectl(cluster, ["create", "job", "once", "--image=busybox"])
        try await Self.kubectl(cluster, ["create", "cronjob", "nightly", "--image=busybox", "--schedule=0 0 * * *"])
        let all = try await Self.kubectl(cluster, ["get", "all", "-o", "name"])
        #expect(all.standardOutput.contains("job.batch/once"))
        #expect(all.standardOutput.contains("cronjob.batch/nightly"))
        let short = try await Self.kubectl(cluster, ["get", "cj,quota,pdb", "-o", "name"])
        #expect(short.standardOutput.contains("cronjob.batch/nightly"))
        try await cluster.shutdown()
    }

    // Raw requests: what the server answers for each media type.

    static func send(_ cluster: LocalClusterFixture, _ method: HTTPMethod, _ path: String, body: Data?, contentType: String,
                     accept: String) async throws -> (status: Int, contentType: String, body: Data) {
        var request = try APITestClient(cluster).makeRequest(path)
        request.method = method
        request.headers.add(name: "Accept", value: accept)
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = Data(buffer: try await response.body.collect(upTo: 16 << 20))
        return (Int(response.status.code), response.headers.first(name: "content-type") ?? "", data)
    }

    @Test func protobufBodiesForCustomResourcesAre415AndJSONStaysTheirAnswer() async throws {
        let cluster = try await KubectlAcceptanceTests.startWithCRD()
        let body = try KubernetesProtobuf.encode(.object(["apiVersion": .string("v1"), "kind": .string("ConfigMap"), "metadata": .object(["name": .string("x")])]))
        let path = "/apis/ringmaster.dev/v1alpha1/namespaces/default/trainingjobs"
        let custom = try await Self.send(cluster, .POST, path, body: body, contentType: KubernetesProtobuf.mediaType,
                                         accept: "application/vnd.kubernetes.protobuf,application/json")
        #expect(custom.status == 415)
        #expect(custom.contentType == "application/json", "a custom resource's answers stay JSON")
        let status = try JSONCoding.decode(custom.body)
        #expect(status["reason"] == .string("UnsupportedMediaType"))
        let list = try await Self.send(cluster, .GET, path, body: nil, contentType: "", accept: "application/vnd.kubernetes.protobuf,application/json")
        #expect(list.status == 200)
        #expect(list.contentType == "application/json")
        try await cluster.shutdown()
    }

    @Test func protobufAnswersOnlyWhenPreferredAndUnknownFieldsAre400() async throws {
        let cluster = try await LocalClusterFixture.start()
        let configMap: JSONValue = .object(["apiVersion": .string("v1"), "kind": .string("ConfigMap"), "metadata": .object(["name": .string("cm")]), "data": .object(["a": .string("b")])])
        let path = "/api/v1/namespaces/default/configmaps"
        let created = try await Self.send(cluster, .POST, path, body: try KubernetesProtobuf.encode(configMap),
                                          contentType: KubernetesProtobuf.mediaType, accept: "application/json")
        #expect(created.status == 201)
        #expect(created.contentType == "application/json")
        #expect(try JSONCoding.decode(created.body)["data"] == .object(["a": .string("b")]))

        let read = try await Self.send(cluster, .GET, path + "/cm", body: nil, contentType: "", accept: "application/vnd.kubernetes.protobuf, application/json")
        #expect(read.contentType == KubernetesProtobuf.mediaType)
        let object = try KubernetesProtobuf.decode(read.body, defaultAPIVersion: "", defaultKind: "")
        #expect(object["data"] == .object(["a": .string("b")]))
        #expect(object["metadata"]?["resourceVersion"]?.stringValue?.isEmpty == false)

        let list = try await Self.send(cluster, .GET, path, body: nil, contentType: "", accept: "application/vnd.kubernetes.protobuf")
        let items = try KubernetesProtobuf.decode(list.body, defaultAPIVersion: "", defaultKind: "")
        #expect(items["kind"] == .string("ConfigMapList"))
        #expect(items["items"]?[0]?["metadata"]?["name"] == .string("cm"))

        var typeMeta = ProtobufWriter()
        typeMeta.writeStringField(1, "v1")
        typeMeta.writeStringField(2, "ConfigMap")
        var unknown = ProtobufWriter()
        unknown.writeVarintField(42, 7)
        var envelope = ProtobufWriter()
        envelope.writeBytesField(1, typeMeta.bytes)
        envelope.writeBytesField(2, unknown.bytes)
        let rejected = try await Self.send(cluster, .POST, path, body: Data(KubernetesProtobuf.magic + envelope.bytes),
                                           contentType: KubernetesProtobuf.mediaType, accept: "application/json")
        #expect(rejected.status == 400)
        let message = try JSONCoding.decode(rejected.body)["message"]?.stringValue ?? ""
        #expect(message.contains("unknown field 42 in message ConfigMap"), "\(message)")

        // DELETE bodies: protobuf DeleteOptions, whose precondition the server checks.
        let options: JSONValue = .object(["apiVersion": .string("meta.k8s.io/v1"), "kind": .string("DeleteOptions"),
                                          "preconditions": .object(["uid": .string("not-the-uid")])])
        let refused = try await Self.send(cluster, .DELETE, path + "/cm", body: try KubernetesProtobuf.encode(options),
                                          contentType: KubernetesProtobuf.mediaType, accept: "application/vnd.kubernetes.protobuf,application/json")
        #expect(refused.status == 409)
        let status = try KubernetesProtobuf.decode(refused.body, defaultAPIVersion: "", defaultKind: "")
        #expect(status["kind"] == .string("Status"))
        #expect(status["reason"] == .string("Conflict"))
        #expect(status["code"] == .integer(409))
        let uid = object["metadata"]?["uid"] ?? .null
        let matching: JSONValue = .object(["apiVersion": .string("meta.k8s.io/v1"), "kind": .string("DeleteOptions"),
                                           "preconditions": .object(["uid": uid])])
        let deleted = try await Self.send(cluster, .DELETE, path + "/cm", body: try KubernetesProtobuf.encode(matching),
                                          contentType: KubernetesProtobuf.mediaType, accept: "application/json")
        #expect(deleted.status == 200)
        try await cluster.shutdown()
    }

    @Test func watchStreamsLengthPrefixedProtobufEvents() async throws {
        let cluster = try await LocalClusterFixture.start()
        let configMap: JSONValue = .object(["apiVersion": .string("v1"), "kind": .string("ConfigMap"), "metadata": .object(["name": .string("watched")])])
        let path = "/api/v1/namespaces/default/configmaps"
        let created = try await Self.send(cluster, .POST, path, body: JSONCoding.encode(configMap), contentType: "application/json", accept: "application/json")
        #expect(created.status == 201)
        let resourceVersion = try JSONCoding.decode(created.body)["metadata"]?["resourceVersion"]?.stringValue ?? ""

        var request = try APITestClient(cluster).makeRequest(path + "?watch=true&resourceVersion=0&timeoutSeconds=20")
        request.headers.add(name: "Accept", value: "application/vnd.kubernetes.protobuf,application/json")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.headers.first(name: "content-type") == KubernetesProtobuf.watchMediaType)
        var pending: [UInt8] = []
        var frame: [UInt8]?
        for try await chunk in response.body {
            pending += Array(buffer: chunk)
            if pending.count >= 4 {
                let length = pending[0..<4].reduce(0) { $0 << 8 | Int($1) }
                if pending.count >= 4 + length {
                    frame = Array(pending[4..<(4 + length)])
                    break
                }
            }
        }
        let event = try #require(frame, "the stream ended before one whole event")
        var reader = ProtobufReader(event)
        var type = "", raw: [UInt8] = []
        while let (number, _) = try reader.nextTag() {
            let range = try reader.readLengthDelimited()
            if number == 1 { type = String(decoding: reader.slice(range), as: UTF8.self) }
            if number == 2 {
                var rawExtension = reader.reader(for: range)
                while let _ = try rawExtension.nextTag() { raw = Array(rawExtension.slice(try rawExtension.readLengthDelimited())) }
            }
        }
        #expect(type == "ADDED")
        let object = try KubernetesProtobuf.decode(Data(raw), defaultAPIVersion: "", defaultKind: "")
        #expect(object["metadata"]?["name"] == .string("watched"))
        #expect(object["metadata"]?["resourceVersion"] == .string(resourceVersion))
        try await cluster.shutdown()
    }
}

extension JSONValue {
    /// The element `index` of an array, or nil.
    fileprivate subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
