/// `core/v1.PodStatus`.
public struct PodStatus: Codable, Sendable, Hashable {
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    public var phase: String?
    public var conditions: [PodCondition]?
    public var podIP: String?
    public var podIPs: [PodIP]?
    public var hostIP: String?
    /// RFC 3339.
    public var startTime: String?
    public var reason: String?
    public var message: String?
    public var containerStatuses: [ContainerStatus]?
    public var initContainerStatuses: [ContainerStatus]?

    public init(
        phase: String? = nil, conditions: [PodCondition]? = nil, podIP: String? = nil,
        podIPs: [PodIP]? = nil, hostIP: String? = nil, startTime: String? = nil,
        reason: String? = nil, message: String? = nil, containerStatuses: [ContainerStatus]? = nil,
        initContainerStatuses: [ContainerStatus]? = nil
    ) {
        self.phase = phase
        self.conditions = conditions
        self.podIP = podIP
        self.podIPs = podIPs
        self.hostIP = hostIP
        self.startTime = startTime
        self.reason = reason
        self.message = message
        self.containerStatuses = containerStatuses
        self.initContainerStatuses = initContainerStatuses
    }
}

/// `core/v1.PodIP`.
public struct PodIP: Codable, Sendable, Hashable {
    public var ip: String
    public init(ip: String) { self.ip = ip }
}

/// `core/v1.PodCondition`.
public struct PodCondition: Codable, Sendable, Hashable {
    /// `PodScheduled`, `Initialized`, `ContainersReady`, `Ready`, ...
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: String?
    public var lastProbeTime: String?

    public init(
        type: String, status: String, reason: String? = nil, message: String? = nil,
        lastTransitionTime: String? = nil, lastProbeTime: String? = nil
    ) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
        self.lastProbeTime = lastProbeTime
    }
}

/// `core/v1.ContainerStatus`.
public struct ContainerStatus: Codable, Sendable, Hashable {
    public var name: String
    public var ready: Bool
    public var restartCount: Int32
    public var state: ContainerState?
    public var lastState: ContainerState?
    public var image: String?
    public var imageID: String?
    public var containerID: String?
    public var started: Bool?

    public init(
        name: String, ready: Bool = false, restartCount: Int32 = 0, state: ContainerState? = nil,
        lastState: ContainerState? = nil, image: String? = nil, imageID: String? = nil,
        containerID: String? = nil, started: Bool? = nil
    ) {
        self.name = name
        self.ready = ready
        self.restartCount = restartCount
        self.state = state
        self.lastState = lastState
        self.image = image
        self.imageID = imageID
        self.containerID = containerID
        self.started = started
    }
}

/// `core/v1.ContainerState`: at most one member is set.
public struct ContainerState: Codable, Sendable, Hashable {
    public var running: Running?
    public var waiting: Waiting?
    public var terminated: Terminated?

    public init(running: Running? = nil, waiting: Waiting? = nil, terminated: Terminated? = nil) {
        self.running = running
        self.waiting = waiting
        self.terminated = terminated
    }

    /// `core/v1.ContainerStateRunning`.
    public struct Running: Codable, Sendable, Hashable {
        public var startedAt: String?
        public init(startedAt: String? = nil) { self.startedAt = startedAt }
    }

    /// `core/v1.ContainerStateWaiting`.
    public struct Waiting: Codable, Sendable, Hashable {
        public var reason: String?
        public var message: String?
        public init(reason: String? = nil, message: String? = nil) {
            self.reason = reason
            self.message = message
        }
    }

    /// `core/v1.ContainerStateTerminated`.
    public struct Terminated: Codable, Sendable, Hashable {
        public var exitCode: Int32
        public var signal: Int32?
        public var reason: String?
        public var message: String?
        public var startedAt: String?
        public var finishedAt: String?
        public var containerID: String?

        public init(
            exitCode: Int32, signal: Int32? = nil, reason: String? = nil, message: String? = nil,
            startedAt: String? = nil, finishedAt: String? = nil, containerID: String? = nil
        ) {
            self.exitCode = exitCode
            self.signal = signal
            self.reason = reason
            self.message = message
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.containerID = containerID
        }
    }
}
