/// Runs one `RingPlan` over a `RingTransport` on the calling thread.
///
/// One loop keeps both directions moving: it writes every send whose
/// dependencies are met as far as the link takes it, reads whatever has
/// arrived, reduces each completed segment, and only blocks (in
/// `RingTransport.wait`) when neither direction can move. Sending the next
/// segment, receiving the one after it and the kernel copying both overlap
/// with the reduction of the current one.
enum RingEngine {
    /// Executes `plan` on `buffer`; `scratch` must hold `plan.scratchElements`.
    /// Throws the transport's errors, `protocolViolation` for an unexpected
    /// frame and `timeout` at `deadline`.
    static func run(
        _ plan: RingPlan,
        buffer: UnsafeMutableBufferPointer<Float>,
        scratch: UnsafeMutableBufferPointer<Float>,
        sequence: UInt64,
        transport: any RingTransport,
        deadline: ContinuousClock.Instant
    ) throws(CollectiveError) {
        precondition(buffer.count == plan.elementCount, "buffer does not match the plan")
        precondition(scratch.count >= plan.scratchElements, "scratch too small for the plan")
        func header(index: Int, elements: Int) -> FrameHeader {
            FrameHeader(collective: plan.collective, aux: plan.aux, index: UInt32(index),
                        length: UInt32(elements * MemoryLayout<Float>.size),
                        sequence: sequence, elementCount: UInt64(plan.elementCount))
        }
        func bytes(_ base: UnsafeMutablePointer<Float>?, _ range: Range<Int>) -> UnsafeMutableRawBufferPointer {
            guard let base, !range.isEmpty else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
            return UnsafeMutableRawBufferPointer(start: base + range.lowerBound, count: range.count * MemoryLayout<Float>.size)
        }

        var sendIndex = 0
        var sendOffset = 0
        var sendHeader: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        if let first = plan.sends.first {
            withUnsafeMutableBytes(of: &sendHeader) { header(index: 0, elements: first.elements.count).encode(into: $0) }
        }
        var receiveIndex = 0
        var reader: FrameReader? = nil

        while sendIndex < plan.sends.count || receiveIndex < plan.receives.count {
            var progressed = false

            while sendIndex < plan.sends.count, plan.sends[sendIndex].after <= receiveIndex {
                let send = plan.sends[sendIndex]
                let payload = UnsafeRawBufferPointer(bytes(buffer.baseAddress, send.elements))
                let written = try withUnsafeBytes(of: &sendHeader) { (head) throws(CollectiveError) -> Int in
                    let headRest = sendOffset < FrameHeader.size
                        ? UnsafeRawBufferPointer(rebasing: head[sendOffset...]) : UnsafeRawBufferPointer(start: nil, count: 0)
                    let payloadRest = sendOffset <= FrameHeader.size
                        ? payload : UnsafeRawBufferPointer(rebasing: payload[(sendOffset - FrameHeader.size)...])
                    return try transport.writeToNext(headRest, payloadRest)
                }
                if written == 0 { break }
                progressed = true
                sendOffset += written
                if sendOffset == FrameHeader.size + payload.count {
                    sendIndex += 1
                    sendOffset = 0
                    if sendIndex < plan.sends.count {
                        let next = header(index: sendIndex, elements: plan.sends[sendIndex].elements.count)
                        withUnsafeMutableBytes(of: &sendHeader) { next.encode(into: $0) }
                    }
                }
            }

            while receiveIndex < plan.receives.count {
                let receive = plan.receives[receiveIndex]
                if reader == nil {
                    let destination = receive.action == .copy
                        ? bytes(buffer.baseAddress, receive.elements)
                        : bytes(scratch.baseAddress, 0..<receive.elements.count)
                    reader = FrameReader(expected: header(index: receiveIndex, elements: receive.elements.count), destination: destination)
                }
                var arrived = false
                let complete = try reader!.read { (into) throws(CollectiveError) -> Int in
                    let n = try transport.readFromPrevious(into: into)
                    if n > 0 { arrived = true }
                    return n
                }
                if arrived { progressed = true }
                guard complete else { break }
                progressed = true
                reader = nil
                receiveIndex += 1
                if receive.elements.isEmpty { continue }
                switch receive.action {
                case .copy:
                    break
                case .reduce:
                    Reduction.add(scratch.baseAddress!, into: buffer.baseAddress! + receive.elements.lowerBound, count: receive.elements.count)
                case .reduceThenDivide(let divisor):
                    let region = buffer.baseAddress! + receive.elements.lowerBound
                    Reduction.add(scratch.baseAddress!, into: region, count: receive.elements.count)
                    Reduction.divide(region, count: receive.elements.count, by: divisor)
                }
            }

            if !progressed {
                let canSend = sendIndex < plan.sends.count && plan.sends[sendIndex].after <= receiveIndex
                try transport.wait(readable: receiveIndex < plan.receives.count, writable: canSend, deadline: deadline)
            }
            if ContinuousClock.now >= deadline && (sendIndex < plan.sends.count || receiveIndex < plan.receives.count) {
                throw CollectiveError(.timeout, "\(plan.collective) did not complete before the operation deadline")
            }
        }
    }
}
