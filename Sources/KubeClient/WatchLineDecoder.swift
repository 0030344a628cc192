import AsyncHTTPClient
import Foundation
import NIOCore

/// Splits a streamed HTTP body into newline-terminated lines as bytes arrive.
/// Used by one consumer at a time (the task iterating the stream built on it).
final class LineReader: @unchecked Sendable {
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var pending: [UInt8] = []
    /// Where the next line starts in `pending`.
    private var lineStart = 0
    private var scanFrom = 0
    private var finished = false
    /// Lines longer than this are a protocol error, not a memory exhaustion.
    private let maximumLineLength = 128 * 1024 * 1024

    init(body: HTTPClientResponse.Body) {
        iterator = body.makeAsyncIterator()
    }

    /// The next line without its terminator; a final unterminated line is
    /// returned too. Nil at the end of the body. Blank lines are skipped.
    func nextLine() async throws -> [UInt8]? {
        while true {
            if let newline = pending[scanFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(pending[lineStart..<newline])
                // Consumed bytes are dropped only once they are most of the
                // buffer, so a chunk of many lines is not shifted once per line.
                lineStart = newline + 1
                scanFrom = lineStart
                if lineStart * 2 >= pending.count {
                    pending.removeSubrange(..<lineStart)
                    lineStart = 0
                    scanFrom = 0
                }
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if line.isEmpty { continue }
                return line
            }
            scanFrom = pending.count
            if finished {
                guard lineStart < pending.count else { return nil }
                let line = Array(pending[lineStart...])
                pending = []
                lineStart = 0
                scanFrom = 0
                return line
            }
            do {
                if let chunk = try await iterator.next() {
                    pending.append(contentsOf: chunk.readableBytesView)
                    if pending.count - lineStart > maximumLineLength {
                        throw KubeClientError(.decoding, "a streamed line exceeds \(maximumLineLength) bytes")
                    }
                } else {
                    finished = true
                }
            } catch let error as KubeClientError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                throw KubeClientError(.transport, "the stream broke", underlying: error)
            }
        }
    }
}

/// Decodes one line of a watch stream.
enum WatchLineDecoder {
    private struct Envelope<Object: Decodable>: Decodable {
        var type: WatchEventType
        var object: Object?
        var status: Status?
        var resourceVersion: String?

        private enum Keys: String, CodingKey { case type, object }
        private struct MetadataOnly: Decodable {
            var metadata: ObjectMeta?
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            type = try container.decode(WatchEventType.self, forKey: .type)
            switch type {
            case .error:
                status = try container.decode(Status.self, forKey: .object)
            case .bookmark:
                // A bookmark's object has only apiVersion, kind and metadata.resourceVersion;
                // typed models with required fields may not decode it.
                resourceVersion = try container.decode(MetadataOnly.self, forKey: .object).metadata?.resourceVersion
                object = try? container.decode(Object.self, forKey: .object)
            default:
                object = try container.decode(Object.self, forKey: .object)
            }
        }
    }

    static func decode<Object: KubernetesObject>(_ type: Object.Type, line: [UInt8], kind: String) throws
        -> WatchEvent<Object>
    {
        let envelope: Envelope<Object>
        do {
            envelope = try JSONDecoder().decode(Envelope<Object>.self, from: Data(line))
        } catch {
            let preview = String(decoding: line.prefix(300), as: UTF8.self)
            throw KubeClientError(.decoding, "undecodable \(kind) watch event: \(preview)", underlying: error)
        }
        var event = WatchEvent(type: envelope.type, object: envelope.object, status: envelope.status)
        event.resourceVersion = envelope.resourceVersion ?? envelope.object?.metadata.resourceVersion
        return event
    }
}
