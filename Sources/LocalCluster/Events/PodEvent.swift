import KubeClient

/// One thing that happened to a pod, as the scheduler or the kubelet of a
/// real node reports it: the reason, the type, the message in their words,
/// and, for container events, the container's field path.
///
/// The messages follow the Kubernetes 1.37 scheduler and kubelet (the
/// version the local API server reports), so `kubectl describe pod` and
/// `kubectl get events` read as on a real cluster; `kubectl describe`
/// prefixes a container event's message with its field path
/// (`spec.containers{main}: Container started`).
public struct PodEvent: Sendable, Hashable {
    /// Who reports an event: `source.component` and `reportingComponent`.
    public enum Reporter: String, Sendable, Hashable {
        case kubelet
        case scheduler = "default-scheduler"
    }

    /// `Normal` or `Warning`.
    public enum Kind: String, Sendable, Hashable {
        case normal = "Normal"
        case warning = "Warning"
    }

    public var reporter: Reporter
    public var type: Kind
    public var reason: String
    public var message: String
    /// `spec.containers{<name>}` or `spec.initContainers{<name>}` for a
    /// container's events; nil for the pod's own.
    public var fieldPath: String?
    /// The `action` an events.k8s.io reader sees (`Binding`, `Scheduling`); nil for the kubelet's.
    public var action: String?

    public init(reporter: Reporter, type: Kind, reason: String, message: String, fieldPath: String? = nil, action: String? = nil) {
        self.reporter = reporter
        self.type = type
        self.reason = reason
        self.message = message
        self.fieldPath = fieldPath
        self.action = action
    }

    /// The field path of a container: `spec.containers{name}` or `spec.initContainers{name}`.
    public static func fieldPath(container: String, isInit: Bool) -> String {
        isInit ? "spec.initContainers{\(container)}" : "spec.containers{\(container)}"
    }
}

extension PodEvent {
    // MARK: The scheduler's

    /// `Scheduled`: the pod was bound to `node`.
    public static func scheduled(namespace: String, pod: String, node: String) -> PodEvent {
        PodEvent(reporter: .scheduler, type: .normal, reason: "Scheduled",
                 message: "Successfully assigned \(namespace)/\(pod) to \(node)", action: "Binding")
    }

    /// `FailedScheduling`: `message` is the one of the `PodScheduled=False`
    /// condition (`0/1 nodes are available: 1 Insufficient nvidia.com/gpu.`).
    public static func failedScheduling(_ message: String) -> PodEvent {
        PodEvent(reporter: .scheduler, type: .warning, reason: "FailedScheduling", message: message, action: "Scheduling")
    }

    // MARK: The kubelet's, about a container

    /// `Pulled`: the image is on the node (the local node pulls nothing: an image it runs is always present).
    public static func pulled(image: String, container: String, isInit: Bool = false) -> PodEvent {
        PodEvent(reporter: .kubelet, type: .normal, reason: "Pulled",
                 message: "Container image \"\(image)\" already present on machine and can be accessed by the pod",
                 fieldPath: fieldPath(container: container, isInit: isInit))
    }

    /// `Failed`: the image cannot be pulled; `detail` says why.
    public static func pullFailed(image: String, detail: String, container: String, isInit: Bool = false) -> PodEvent {
        PodEvent(reporter: .kubelet, type: .warning, reason: "Failed",
                 message: "Failed to pull image \"\(image)\": \(detail)", fieldPath: fieldPath(container: container, isInit: isInit))
    }

    /// `Failed` with the waiting reason as the kubelet reports it
    /// (`Error: ErrImagePull`, `Error: secret "s" not found`).
    public static func failed(_ error: String, container: String, isInit: Bool = false) -> PodEvent {
        PodEvent(reporter: .kubelet, type: .warning, reason: "Failed", message: "Error: \(error)",
                 fieldPath: fieldPath(container: container, isInit: isInit))
    }

    /// `Created`: the container exists and is about to start.
    public static func created(container: String, isInit: Bool = false) -> PodEvent {
        PodEvent(reporter: .kubelet, type: .normal, reason: "Created", message: "Container created",
                 fieldPath: fieldPath(container: container, isInit: isInit))
    }

    /// `Started`: the container's process runs.
    public static func started(container: String, isInit: Bool = false) -> PodEvent {
        PodEvent(reporter: .kubelet, type: .normal, reason: "Started", message: "Container started",
                 fieldPath: fieldPath(container: container, isInit: isInit))
    }

    /// `Killing`: the container is being stopped (deletion, deadline).
    public static func killing(container: String, isInit: Bool = false) -> PodEvent {
        PodEvent(reporter: .kubelet, type: .normal, reason: "Killing", message: "Stopping container \(container)",
                 fieldPath: fieldPath(container: container, isInit: isInit))
    }

    /// `BackOff`: a container that exited waits before it restarts.
    /// `pod` is the kubelet's pod format, `name_namespace(uid)`.
    public static func backOff(container: String, pod: String, isInit: Bool = false) -> PodEvent {
        PodEvent(reporter: .kubelet, type: .warning, reason: "BackOff",
                 message: "Back-off restarting failed container \(container) in pod \(pod)",
                 fieldPath: fieldPath(container: container, isInit: isInit))
    }

    // MARK: The kubelet's, about the pod

    /// `DeadlineExceeded`: the pod passed `spec.activeDeadlineSeconds`.
    public static let deadlineExceeded = PodEvent(
        reporter: .kubelet, type: .normal, reason: "DeadlineExceeded",
        message: "Pod was active on the node longer than the specified deadline")
}
