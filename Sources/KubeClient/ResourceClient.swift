import Foundation
import NIOCore
import NIOFoundationCompat

/// The REST verbs for one kind. Obtained from `KubernetesClient.resource(_:)`
/// (typed) or `KubernetesClient.unstructured(_:)` (JSON). A value type; cheap
/// to create and safe to share between tasks.
///
/// Namespaces: a verb given no namespace for a namespaced kind uses the
/// object's own `metadata.namespace`, else the configuration's default
/// namespace. Cluster-scoped kinds ignore namespaces.
public struct ResourceClient<Object: KubernetesObject>: Sendable {
    public let client: KubernetesClient
    public let descriptor: ResourceDescriptor

    public init(client: KubernetesClient, descriptor: ResourceDescriptor) {
        self.client = client
        self.descriptor = descriptor
    }

    func namespace(_ explicit: String?, object: ObjectMeta? = nil) -> String? {
        guard descriptor.namespaced else { return nil }
        return explicit ?? object?.namespace ?? client.config.namespace
    }

    func request(_ method: HTTPMethodName, verb: String, namespace: String?, name: String?,
                 subresource: String? = nil) -> APIRequest {
        APIRequest(method: method.nio, verb: verb, descriptor: descriptor, namespace: namespace, name: name,
                   subresource: subresource)
    }

    func decode<T: Decodable>(_ type: T.Type, _ buffer: ByteBuffer) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: buffer)
        } catch {
            throw KubeClientError(.decoding, "the answer is not a valid \(descriptor.kind) (\(T.self))", underlying: error)
        }
    }

    func encode<T: Encodable>(_ value: T) throws -> Data {
        do {
            return try JSONEncoder().encode(value)
        } catch {
            throw KubeClientError(.invalidRequest, "cannot encode \(descriptor.kind) as JSON", underlying: error)
        }
    }

    /// Encodes `object` with `apiVersion` and `kind` filled in from the descriptor
    /// when the object leaves them unset.
    func encodeObject(_ object: Object) throws -> Data {
        // Typed models set apiVersion and kind when built: then the encoding
        // is the answer, without a round trip through JSONValue.
        let direct = try encode(object)
        if let meta = try? JSONDecoder().decode(TypeMeta.self, from: direct), meta.apiVersion != nil, meta.kind != nil {
            return direct
        }
        var json: JSONValue
        do { json = try JSONValue(encoding: object) } catch {
            throw KubeClientError(.invalidRequest, "cannot encode \(descriptor.kind) as JSON", underlying: error)
        }
        if json["apiVersion"] == nil || json["apiVersion"] == .null { json["apiVersion"] = .string(descriptor.apiVersion) }
        if json["kind"] == nil || json["kind"] == .null { json["kind"] = .string(descriptor.kind) }
        return try encode(json)
    }

    private struct TypeMeta: Decodable {
        var apiVersion: String?
        var kind: String?
    }

    // MARK: Reads

    /// GET one object.
    public func get(_ name: String, in namespace: String? = nil) async throws -> Object {
        let buffer = try await client.send(request(.get, verb: "get", namespace: self.namespace(namespace), name: name))
        return try decode(Object.self, buffer)
    }

    /// One page of objects. `options.limit` bounds the page; pass the answer's
    /// `metadata.continue` as `options.continue` for the next.
    public func list(in selector: NamespaceSelector = .allNamespaces, options: ListOptions = ListOptions()) async throws
        -> ResourceList<Object>
    {
        var req = request(.get, verb: "list", namespace: listNamespace(selector), name: nil)
        req.query = options.queryItems
        return try decode(ResourceList<Object>.self, try await client.send(req))
    }

    /// Every object, following `continue` tokens page by page (`pageSize` per
    /// request). The answer's `metadata.resourceVersion` is that of the first page,
    /// the consistent snapshot all pages belong to.
    public func listAll(in selector: NamespaceSelector = .allNamespaces, options: ListOptions = ListOptions(),
                        pageSize: Int = 500) async throws -> ResourceList<Object>
    {
        var options = options
        options.limit = pageSize
        options.continue = nil
        var first: ResourceList<Object>?
        var items: [Object] = []
        while true {
            let page = try await list(in: selector, options: options)
            if first == nil { first = page }
            items.append(contentsOf: page.items)
            guard let token = page.metadata.continue, !token.isEmpty else { break }
            options.continue = token
            options.resourceVersion = nil
            options.resourceVersionMatch = nil
        }
        var result = first!
        result.items = items
        result.metadata.continue = nil
        result.metadata.remainingItemCount = nil
        return result
    }

    func listNamespace(_ selector: NamespaceSelector) -> String? {
        guard descriptor.namespaced else { return nil }
        if case .namespace(let namespace) = selector { return namespace }
        return nil
    }

    // MARK: Writes

    /// POST a new object; the namespace is `namespace`, else the object's, else the default.
    public func create(_ object: Object, in namespace: String? = nil, options: WriteOptions = WriteOptions())
        async throws -> Object
    {
        var req = request(.post, verb: "create", namespace: self.namespace(namespace, object: object.metadata), name: nil)
        req.query = options.queryItems
        req.body = try encodeObject(object)
        return try decode(Object.self, try await client.send(req))
    }

    /// PUT the whole object. The server rejects it with 409 Conflict when
    /// `metadata.resourceVersion` is set and no longer current.
    public func update(_ object: Object, options: WriteOptions = WriteOptions()) async throws -> Object {
        guard let name = object.metadata.name else {
            throw KubeClientError(.invalidRequest, "update needs metadata.name")
        }
        var req = request(.put, verb: "update", namespace: self.namespace(nil, object: object.metadata), name: name)
        req.query = options.queryItems
        req.body = try encodeObject(object)
        return try decode(Object.self, try await client.send(req))
    }

    /// PATCH one object.
    public func patch(_ name: String, in namespace: String? = nil, _ patch: Patch,
                      options: PatchOptions = PatchOptions()) async throws -> Object
    {
        try await sendPatch(name, namespace: namespace, patch, options: options, subresource: nil)
    }

    /// Server-side apply of `object` (which must carry name, apiVersion and kind).
    public func apply(_ object: Object, fieldManager: String, force: Bool = false) async throws -> Object {
        guard let name = object.metadata.name else {
            throw KubeClientError(.invalidRequest, "apply needs metadata.name")
        }
        let body = try JSONDecoder().decode(JSONValue.self, from: try encodeObject(object))
        return try await patch(name, in: self.namespace(nil, object: object.metadata), .apply(body),
                               options: PatchOptions(fieldManager: fieldManager, force: force))
    }

    func sendPatch(_ name: String, namespace: String?, _ patch: Patch, options: PatchOptions,
                   subresource: String?) async throws -> Object
    {
        if case .apply = patch, options.fieldManager == nil {
            throw KubeClientError(.invalidRequest, "server-side apply needs a fieldManager")
        }
        var req = request(.patch, verb: "patch", namespace: self.namespace(namespace), name: name,
                          subresource: subresource)
        req.query = options.queryItems
        req.body = try encode(patch.body)
        req.contentType = patch.contentType
        return try decode(Object.self, try await client.send(req))
    }

    /// DELETE one object. Returns the object as it is after the call when the
    /// server returns it (deletion pending finalizers or grace), or nil when
    /// the server answered with a `Status`.
    @discardableResult
    public func delete(_ name: String, in namespace: String? = nil, options: DeleteOptions = DeleteOptions())
        async throws -> Object?
    {
        var req = request(.delete, verb: "delete", namespace: self.namespace(namespace), name: name)
        req.body = try encode(options.body)
        let buffer = try await client.send(req)
        if let json = try? JSONDecoder().decode(JSONValue.self, from: buffer), json["kind"]?.stringValue == "Status" {
            return nil
        }
        return try? JSONDecoder().decode(Object.self, from: buffer)
    }

    /// DELETE every object matching `options` selectors in one namespace.
    public func deleteCollection(in namespace: String? = nil, options: ListOptions = ListOptions(),
                                 deleteOptions: DeleteOptions = DeleteOptions()) async throws
    {
        var req = request(.delete, verb: "deletecollection", namespace: self.namespace(namespace), name: nil)
        req.query = options.queryItems
        req.body = try encode(deleteOptions.body)
        _ = try await client.send(req)
    }

    // MARK: Watch

    /// Opens a watch and returns its events as they arrive (the stream is read
    /// incrementally, never buffered whole). The connection is established
    /// before this returns, so an expired `resourceVersion` (410) or any other
    /// refusal is thrown here; a 410 that arrives later is an `.error` event
    /// with `status.code == 410`. The stream ends when the server closes the
    /// connection (e.g. after `timeoutSeconds`) and throws if it breaks.
    /// Cancelling the consuming task closes the connection.
    public func watch(in selector: NamespaceSelector = .allNamespaces, options: WatchOptions = WatchOptions())
        async throws -> AsyncThrowingStream<WatchEvent<Object>, any Error>
    {
        var req = request(.get, verb: "watch", namespace: listNamespace(selector), name: nil)
        req.query = options.queryItems
        let deadline: Duration? = options.timeoutSeconds.map { .seconds($0 + 30) }
        let response = try await client.open(req, deadline: deadline)
        let reader = LineReader(body: response.body)
        let kind = descriptor.kind
        return AsyncThrowingStream(unfolding: {
            guard let line = try await reader.nextLine() else { return nil }
            return try WatchLineDecoder.decode(Object.self, line: line, kind: kind)
        })
    }
}

/// The HTTP methods the verbs use.
enum HTTPMethodName {
    case get, post, put, patch, delete

    var nio: NIOHTTP1.HTTPMethod {
        switch self {
        case .get: return .GET
        case .post: return .POST
        case .put: return .PUT
        case .patch: return .PATCH
        case .delete: return .DELETE
        }
    }
}

import NIOHTTP1

extension ResourceClient {
    /// POST `body` to a subresource of one object (`serviceaccounts/{name}/token`,
    /// `pods/{name}/eviction`, ...) and decode the answer as `Answer`.
    public func createSubresource<Body: Encodable & Sendable, Answer: Decodable>(
        _ subresource: String, of name: String, in namespace: String? = nil, body: Body, answer: Answer.Type
    ) async throws -> Answer {
        var req = request(.post, verb: "create", namespace: self.namespace(namespace), name: name, subresource: subresource)
        req.body = try encode(body)
        return try decode(Answer.self, try await client.send(req))
    }
}
