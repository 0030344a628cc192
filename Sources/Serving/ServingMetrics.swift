import Prometheus

/// The server's Prometheus metrics, served at `/metrics`:
///
/// - `ringmaster_serving_requests_total{route, code}`: every HTTP request, by
///   route template (`/v2/models/{name}/infer`, ...; `unmatched` for paths no
///   route has) and status code;
/// - `ringmaster_serving_request_errors_total{route, code}`: those answered 4xx or 5xx;
/// - `ringmaster_serving_request_duration_seconds{route}`: latency histogram;
/// - `ringmaster_serving_inference_requests_in_flight`: inference requests being answered;
/// - `ringmaster_serving_batch_size_samples` and `ringmaster_serving_batch_size_requests`:
///   samples and requests per forward pass;
/// - `ringmaster_serving_inference_samples_total`: samples predicted.
///
/// Labels are bounded: routes are the fixed templates and codes the few the
/// server answers with. Safe to use from any task.
public struct ServingMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let inFlight: Gauge
    let samples: Counter
    let batchSamples: ValueHistogram
    let batchRequests: ValueHistogram

    static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
    ]
    static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        inFlight = registry.makeGauge(descriptor: Self.name("inference_requests_in_flight", unit: "", help: "Inference requests being answered."))
        samples = registry.makeCounter(descriptor: Self.name("inference_samples", unit: "total", help: "Samples predicted."))
        batchSamples = registry.makeValueHistogram(
            descriptor: Self.name("batch_size", unit: "samples", help: "Samples per forward pass."), buckets: Self.batchBuckets)
        batchRequests = registry.makeValueHistogram(
            descriptor: Self.name("batch_size", unit: "requests", help: "Requests per forward pass."), buckets: Self.batchBuckets)
    }

    /// Counts one answered request.
    public func recordRequest(route: String, code: Int, duration: Duration) {
        let labels = [("route", route), ("code", String(code))]
        registry.makeCounter(descriptor: Self.name("requests", unit: "total", help: "HTTP requests by route and status code."), labels: labels)
            .increment()
        if code >= 400 {
            registry.makeCounter(
                descriptor: Self.name("request_errors", unit: "total", help: "HTTP requests answered with a 4xx or 5xx status."), labels: labels
            ).increment()
        }
        registry.makeDurationHistogram(
            descriptor: Self.name("request_duration", unit: "seconds", help: "Time from the request's head to its response."),
            labels: [("route", route)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// Records one forward pass.
    public func recordBatch(_ batch: InferenceBatcher.BatchRecord) {
        batchSamples.record(Double(batch.samples))
        batchRequests.record(Double(batch.requests))
        samples.increment(by: Int64(batch.samples))
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    private static func name(_ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "ringmaster", subsystem: "serving", metricName: metric, unitName: unit, helpText: help)
    }
}
