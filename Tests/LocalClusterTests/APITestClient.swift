import AsyncHTTPClient
import Foundation
import KubeClient
@testable import LocalCluster
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
import NIOSSL
import RingmasterTesting

/// Raw HTTPS access to a local API server for the semantics tests: raw
/// requests and raw watch streams, so the tests check the wire protocol.
/// It trusts the cluster's CA and authenticates as the kubeconfig's user
/// (by default the fixture's administrator).
struct APITestClient {
    var baseURL: URL
    /// Trust and client certificate for every request.
    var tls: TLSConfiguration
    /// Sent as the `Authorization` header when set (`Bearer <token>`).
    var authorization: String?

    init(baseURL: URL, tls: TLSConfiguration, authorization: String? = nil) {
        self.baseURL = baseURL
        self.tls = tls
        self.authorization = authorization
    }

    /// A client for what `config` names: its server, CA, and client
    /// certificate or token.
    init(config: KubeConfig) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = config.tls.certificateAuthorityPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca)))
        }
        if let certificate = config.tls.clientCertificatePEM, let key = config.tls.clientKeyPEM {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key), format: .pem))
        }
        var authorization: String?
        if case .token(let token) = config.credentials { authorization = "Bearer \(token)" }
        self.init(baseURL: URL(string: config.server)!, tls: tls, authorization: authorization)
    }

    /// The fixture's administrator (`system:masters`).
    init(_ cluster: LocalClusterFixture) throws {
        try self.init(config: cluster.kubeConfig)
    }

    /// A request to `path` with this client's TLS settings and credentials.
    func makeRequest(_ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL.absoluteString + path)
        request.tlsConfiguration = tls
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        return request
    }

    struct Response {
        var status: Int
        var body: JSONValue
        var text: String
    }

    func request(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, contentType: String = "application/json",
                 rawBody: String? = nil, accept: String = "application/json") async throws -> Response {
        var request = makeRequest(path)
        request.method = method
        request.headers.add(name: "Accept", value: accept)
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        } else if let rawBody {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: rawBody))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        let data = Data(buffer: buffer)
        let json = (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .null
        return Response(status: Int(response.status.code), body: json, text: String(decoding: data, as: UTF8.self))
    }

    func get(_ path: String) async throws -> Response { try await request(.GET, path) }
    func post(_ path: String, _ body: JSONValue) async throws -> Response { try await request(.POST, path, body: body) }
    func put(_ path: String, _ body: JSONValue) async throws -> Response { try await request(.PUT, path, body: body) }
    func delete(_ path: String, _ body: JSONValue? = nil) async throws -> Response { try await request(.DELETE, path, body: body) }
    func mergePatch(_ path: String, _ body: JSONValue) async throws -> Response {
        try await request(.PATCH, path, body: body, contentType: "application/merge-patch+json")
    }

    /// Opens a watch and collects events until `until` returns true for the
    /// events so far, the stream ends, or `timeout` passes.
    func watch(_ path: String, timeout: Duration = .seconds(10), until: @escaping @Sendable ([JSONValue]) -> Bool) async throws -> [JSONValue] {
        var request = makeRequest(path)
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout.components.seconds) + 5))
        return try await withThrowingTaskGroup(of: [JSONValue]?.self) { group in
            group.addTask {
                var events: [JSONValue] = []
                var pending = Data()
                for try await chunk in response.body {
                    pending.append(Data(buffer: chunk))
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = pending[pending.startIndex..<newline]
                        pending = Data(pending[pending.index(after: newline)...])
                        if let event = try? JSONDecoder().decode(JSONValue.self, from: Data(line)) { events.append(event) }
                        if until(events) { return events }
                    }
                }
                return events
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            while let result = try await group.next() {
                if let events = result {
                    group.cancelAll()
                    return events
                }
                group.cancelAll()
                return []
            }
            return []
        }
    }
}

/// Small builders for test objects.
enum TestObjects {
    static func configMap(_ name: String, labels: [String: String] = [:], data: [String: String] = [:]) -> JSONValue {
        .object([
            "apiVersion": .string("v1"), "kind": .string("ConfigMap"),
            "metadata": .object(["name": .string(name), "labels": .object(labels.mapValues(JSONValue.string))]),
            "data": .object(data.mapValues(JSONValue.string)),
        ])
    }

    static func pod(_ name: String, labels: [String: String] = [:], owner: JSONValue? = nil) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name), "labels": .object(labels.mapValues(JSONValue.string))]
        if let owner { metadata["ownerReferences"] = .array([owner]) }
        return .object([
            "apiVersion": .string("v1"), "kind": .string("Pod"), "metadata": .object(metadata),
            "spec": .object(["containers": .array([.object(["name": .string("main"), "image": .string("busybox")])])]),
        ])
    }

    /// A CRD with a schema exercising the validator: `widgets.test.ringmaster.dev`.
    static let widgetCRD: JSONValue = {
        let yaml = """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: widgets.test.ringmaster.dev
            spec:
              group: test.ringmaster.dev
              names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd], listKind: WidgetList}
              scope: Namespaced
              versions:
              - name: v1
                served: true
                storage: true
                subresources: {status: {}}
                additionalPrinterColumns:
                - {name: Size, type: integer, jsonPath: .spec.size}
                - {name: Phase, type: string, jsonPath: .status.phase}
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        description: The widget's desired state.
                        required: [size]
                        properties:
                          size: {type: integer, minimum: 1, maximum: 10, description: How big.}
                          color: {type: string, enum: [red, blue], default: red}
                          name: {type: string, pattern: '^[a-z]+$', maxLength: 8}
                          tags: {type: array, items: {type: string}, maxItems: 2}
                      status:
                        type: object
                        properties:
                          phase: {type: string}
            """
        return try! YAMLConversion.decode(yaml)
    }()

    static func widget(_ name: String, size: Int64 = 3, extra: [String: JSONValue] = [:]) -> JSONValue {
        var spec: [String: JSONValue] = ["size": .integer(size)]
        for (k, v) in extra { spec[k] = v }
        return .object([
            "apiVersion": .string("test.ringmaster.dev/v1"), "kind": .string("Widget"),
            "metadata": .object(["name": .string(name)]), "spec": .object(spec),
        ])
    }
}
