/// The byte links of one rank in a ring: a stream to the next rank and a
/// stream from the previous one.
///
/// Calls never block except `wait`, so one thread keeps both directions in
/// flight at once: it writes to the next rank while bytes from the previous
/// rank arrive, and reduces between the two. Framing, ordering and the
/// algorithm live above this seam (`FrameHeader`, `FrameReader`,
/// `RingEngine`), so every implementation carries exactly the same protocol.
///
/// `read`, `write` and `wait` are called from one thread at a time; `close`
/// may be called from any thread, and wakes a concurrent `wait`.
public protocol RingTransport: AnyObject, Sendable {
    /// Writes a prefix of `first` followed by `second` (a frame header and its
    /// payload, sent without copying them together) to the next rank. Returns
    /// the number of bytes taken, 0 when none can be taken now. Throws
    /// `peerClosed` when the next rank is gone.
    func writeToNext(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) throws(CollectiveError) -> Int

    /// Reads available bytes from the previous rank into a prefix of `buffer`.
    /// Returns the number read, 0 when none are available now. Throws
    /// `peerClosed` at the end of the stream.
    func readFromPrevious(into buffer: UnsafeMutableRawBufferPointer) throws(CollectiveError) -> Int

    /// Blocks until reading (if `readable`) or writing (if `writable`) may make
    /// progress or fail, or throws `timeout` at `deadline`, or `closed` once
    /// `close` was called.
    func wait(readable: Bool, writable: Bool, deadline: ContinuousClock.Instant) throws(CollectiveError)

    /// Ends both streams: the neighbours see the ring close. Idempotent.
    func close()
}
