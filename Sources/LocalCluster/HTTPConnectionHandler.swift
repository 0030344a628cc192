import Foundation
import KubeClient
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
import NIOPosix

/// One HTTP/1.1 connection of the local API server: collects each request,
/// answers it from the thread pool, and runs watch and log-follow streams as
/// chunked responses until the client goes away or the stream ends.
final class HTTPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: APIRouter
    private let authenticator: RequestAuthenticator
    private let threadPool: NIOThreadPool
    private let faults: @Sendable () -> FaultInjection
    private let bookmarkInterval: TimeAmount

    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var watchID: UInt64?
    private var streaming = false
    private var closed = false
    private var scheduled: [Scheduled<Void>] = []
    private var repeated: [RepeatedTask] = []
    private var eventsSent = 0
    /// The user of the connection's verified client certificate, looked up at its first request.
    private var certificateUser: UserInfo??

    init(router: APIRouter, authenticator: RequestAuthenticator, threadPool: NIOThreadPool, bookmarkInterval: TimeAmount,
         faults: @escaping @Sendable () -> FaultInjection) {
        self.router = router
        self.authenticator = authenticator
        self.threadPool = threadPool
        self.bookmarkInterval = bookmarkInterval
        self.faults = faults
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let requestHead = head else { return }
            head = nil
            if certificateUser == nil { certificateUser = .some(PeerCertificate.user(of: context)) }
            let identity = RequestIdentity(certificateUser: certificateUser ?? nil, authorization: requestHead.headers.first(name: "authorization"))
            let request = APIRequest(
                method: requestHead.method.rawValue, uri: requestHead.uri,
                accept: requestHead.headers.first(name: "accept") ?? "",
                contentType: requestHead.headers.first(name: "content-type") ?? "",
                body: Data(buffer: body))
            let faults = self.faults()
            let latency = faults.latency
            if latency > .zero {
                let nanoseconds = latency.components.seconds * 1_000_000_000 + latency.components.attoseconds / 1_000_000_000
                context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) {
                    self.process(context: context, request: request, identity: identity, keepAlive: requestHead.isKeepAlive, faults: faults)
                }
            } else {
                process(context: context, request: request, identity: identity, keepAlive: requestHead.isKeepAlive, faults: faults)
            }
        }
    }

    private func process(context: ChannelHandlerContext, request: APIRequest, identity: RequestIdentity, keepAlive: Bool, faults: FaultInjection) {
        if let code = faults.errorCode(verb: APIRouter.verb(request), random: Double.random(in: 0..<1)) {
            let reasons = [409: "Conflict", 410: "Expired", 429: "TooManyRequests", 500: "InternalError"]
            let error = APIError(code: code, reason: reasons[code] ?? "InternalError", message: "injected fault: \(code) (local API server fault injection)")
            write(context: context, response: .error(error), keepAlive: keepAlive)
            return
        }
        let router = self.router
        let authenticator = self.authenticator
        threadPool.runIfActive(eventLoop: context.eventLoop) { () -> APIResponse in
            var request = request
            switch authenticator.authenticate(path: request.path, certificateUser: identity.certificateUser, authorization: identity.authorization) {
            case .authenticated(let user): request.user = user
            case .unauthenticatedProbe: break
            case .refused: return .error(.unauthorized)
            }
            return router.handle(request)
        }
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let response): self.write(context: context, response: response, keepAlive: keepAlive)
                case .failure(let error):
                    self.write(context: context, response: .error(APIError(code: 503, reason: "ServiceUnavailable", message: "server shutting down: \(error)")), keepAlive: false)
                }
            }
    }

    private func write(context: ChannelHandlerContext, response: APIResponse, keepAlive: Bool) {
        guard !closed else { return }
        switch response {
        case .full(let code, let contentType, let data):
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(data.count))
            headers.add(name: "Cache-Control", value: "no-cache, private")
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: code), headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(data: data)))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
        case .watch(let plan):
            startWatch(context: context, plan: plan)
        case .followLog(let plan):
            startLogFollow(context: context, plan: plan)
        }
    }

    private func writeStreamHead(context: ChannelHandlerContext, contentType: String) {
        streaming = true
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "Cache-Control", value: "no-cache, private")
        // The connection closes when the stream ends (see endStream); saying so up front keeps a client
        // from handing the connection to its next request in the moment between the last chunk and the close.
        headers.add(name: "Connection", value: "close")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
    }

    /// Ends a stream and closes the connection (clients open a new one for the next watch).
    private func endStream(context: ChannelHandlerContext) {
        guard streaming, !closed else { return }
        streaming = false
        stopStreams()
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func stopStreams() {
        if let id = watchID { router.state.stopWatch(id) }
        watchID = nil
        scheduled.forEach { $0.cancel() }
        scheduled = []
        repeated.forEach { $0.cancel() }
        repeated = []
    }

    // MARK: Watch

    private func startWatch(context: ChannelHandlerContext, plan: WatchPlan) {
        writeStreamHead(context: context, contentType: plan.protobuf ? KubernetesProtobuf.watchMediaType : "application/json")
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let converter = plan.table.map { TableConverter(type: plan.type, options: $0, now: Date()) }
        let state = router.state
        let deliver: @Sendable (ServerWatchEvent) -> Void = { event in
            var event = event
            if let converter, event.type != "BOOKMARK", event.type != "ERROR" {
                event.object = converter.table([event.object])
                event.encodedObject = nil
            }
            let line = plan.protobuf ? KubernetesProtobuf.watchFrame(event) : event.line
            let counts = event.type != "BOOKMARK"
            loop.execute {
                let (handler, context) = bound.value
                handler.send(context: context, line: line, counts: counts)
            }
        }
        threadPool.runIfActive(eventLoop: loop) {
            try state.startWatch(plan.type, namespace: plan.namespace, options: plan.options, deliver: deliver)
        }.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let id):
                if self.closed || !self.streaming {
                    state.stopWatch(id)
                    return
                }
                self.watchID = id
                if plan.options.allowBookmarks {
                    let pool = self.threadPool
                    self.repeated.append(loop.scheduleRepeatedTask(initialDelay: self.bookmarkInterval, delay: self.bookmarkInterval) { _ in
                        pool.submit { _ in state.sendBookmark(id) }
                    })
                }
                self.scheduled.append(loop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(plan.timeout.components.seconds) * 1_000_000_000)) {
                    self.endStream(context: context)
                })
            case .failure(let error):
                let apiError = error as? APIError ?? APIError(code: 500, reason: "InternalError", message: "\(error)")
                let event = ServerWatchEvent(type: "ERROR", object: apiError.status)
                self.send(context: context, line: plan.protobuf ? KubernetesProtobuf.watchFrame(event) : JSONCoding.encode(event.json) + Data("\n".utf8), counts: false)
                self.endStream(context: context)
            }
        }
    }

    private func send(context: ChannelHandlerContext, line: Data, counts: Bool) {
        guard streaming, !closed else { return }
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(data: line)))), promise: nil)
        guard counts else { return }
        eventsSent += 1
        let faults = self.faults()
        if let limit = faults.dropWatchAfterEvents, eventsSent >= limit {
            endStream(context: context)
        } else if faults.dropWatchRate > 0, Double.random(in: 0..<1) < faults.dropWatchRate {
            endStream(context: context)
        }
    }

    // MARK: Log follow

    private func startLogFollow(context: ChannelHandlerContext, plan: LogPlan) {
        writeStreamHead(context: context, contentType: "text/plain")
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(data: plan.initial)))), promise: nil)
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let offset = NIOLoopBoundBox(plan.offset, eventLoop: loop)
        let state = router.state
        repeated.append(loop.scheduleRepeatedTask(initialDelay: .milliseconds(200), delay: .milliseconds(200)) { _ in
            let (handler, context) = bound.value
            guard let handle = try? FileHandle(forReadingFrom: plan.file) else { return }
            defer { try? handle.close() }
            try? handle.seek(toOffset: offset.value)
            let data = (try? handle.readToEnd()) ?? Data()
            if !data.isEmpty {
                offset.value += UInt64(data.count)
                context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(data: data)))), promise: nil)
            } else {
                let pod = try? state.get(plan.type, namespace: plan.namespace, name: plan.pod)
                let phase = pod?["status"]?["phase"]?.stringValue
                if pod == nil || phase == "Succeeded" || phase == "Failed" { handler.endStream(context: context) }
            }
        })
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        stopStreams()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
