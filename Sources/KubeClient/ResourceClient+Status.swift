import Foundation

extension ResourceClient where Object: HasStatusSubresource {
    /// GET the `/status` subresource.
    public func getStatus(_ name: String, in namespace: String? = nil) async throws -> Object {
        try await statusGet(name, in: namespace)
    }

    /// PUT the `/status` subresource (only `status` changes; 409 on a stale resourceVersion).
    public func updateStatus(_ object: Object, options: WriteOptions = WriteOptions()) async throws -> Object {
        try await statusUpdate(object, options: options)
    }

    /// PATCH the `/status` subresource, e.g. `.merge(["status": ["phase": "Running"]])`.
    public func patchStatus(_ name: String, in namespace: String? = nil, _ patch: Patch,
                            options: PatchOptions = PatchOptions()) async throws -> Object
    {
        try await sendPatch(name, namespace: namespace, patch, options: options, subresource: "status")
    }
}

extension ResourceClient where Object == UnstructuredObject {
    /// GET the `/status` subresource of a kind known only by its descriptor.
    public func getStatus(_ name: String, in namespace: String? = nil) async throws -> Object {
        try await statusGet(name, in: namespace)
    }

    /// PUT the `/status` subresource of a kind known only by its descriptor.
    public func updateStatus(_ object: Object, options: WriteOptions = WriteOptions()) async throws -> Object {
        try await statusUpdate(object, options: options)
    }

    /// PATCH the `/status` subresource of a kind known only by its descriptor.
    public func patchStatus(_ name: String, in namespace: String? = nil, _ patch: Patch,
                            options: PatchOptions = PatchOptions()) async throws -> Object
    {
        try await sendPatch(name, namespace: namespace, patch, options: options, subresource: "status")
    }
}

extension ResourceClient {
    func statusGet(_ name: String, in namespace: String?) async throws -> Object {
        let req = request(.get, verb: "get", namespace: self.namespace(namespace), name: name, subresource: "status")
        return try decode(Object.self, try await client.send(req))
    }

    func statusUpdate(_ object: Object, options: WriteOptions) async throws -> Object {
        guard let name = object.metadata.name else {
            throw KubeClientError(.invalidRequest, "updateStatus needs metadata.name")
        }
        var req = request(.put, verb: "update", namespace: self.namespace(nil, object: object.metadata), name: name,
                          subresource: "status")
        req.query = options.queryItems
        req.body = try encodeObject(object)
        return try decode(Object.self, try await client.send(req))
    }
}

extension ResourceClient where Object == Pod {
    /// The log of one container (`GET pods/{name}/log`), as text.
    public func logs(_ name: String, in namespace: String? = nil, options: PodLogOptions = PodLogOptions())
        async throws -> String
    {
        var req = request(.get, verb: "get", namespace: self.namespace(namespace), name: name, subresource: "log")
        req.query = options.queryItems
        req.accept = "*/*"
        return String(buffer: try await client.send(req))
    }

    /// Follows a container's log (`follow=true`), one line per element, until
    /// the container ends or the consuming task is cancelled.
    public func followLogs(_ name: String, in namespace: String? = nil, options: PodLogOptions = PodLogOptions())
        async throws -> AsyncThrowingStream<String, any Error>
    {
        var req = request(.get, verb: "get", namespace: self.namespace(namespace), name: name, subresource: "log")
        req.query = options.queryItems + [("follow", "true")]
        req.accept = "*/*"
        let reader = LineReader(body: try await client.open(req, deadline: nil).body)
        return AsyncThrowingStream(unfolding: {
            guard let line = try await reader.nextLine() else { return nil }
            return String(decoding: line, as: UTF8.self)
        })
    }
}
