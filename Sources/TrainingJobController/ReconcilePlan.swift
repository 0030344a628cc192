import KubeClient
import TrainingJobAPI

/// One write the reconciler performs after the status write.
public enum ReconcileAction: Sendable, Hashable {
    case createService(Service)
    /// Create `<job>-ring-token` with a fresh random token.
    case createRingTokenSecret
    case createServiceAccount(ServiceAccount)
    case createRole(Role)
    case createRoleBinding(RoleBinding)
    case createClaim(PersistentVolumeClaim)
    case createPod(Pod, collisions: [OverlayCollision])
    /// Delete a worker Pod (with its UID as precondition).
    case deletePod(name: String, uid: String?)
    /// Delete the TrainingJob itself (TTL after finishing).
    case deleteJob
}

/// An event to record about the job, once the status write succeeded.
public struct PlannedEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case normal = "Normal"
        case warning = "Warning"
    }

    public var type: Kind
    /// `Created`, `Started`, `Restarting`, `Suspended`, `Resumed`, `Succeeded`, `Failed`, ...
    public var reason: String
    public var message: String

    public init(_ type: Kind, _ reason: String, _ message: String) {
        self.type = type
        self.reason = reason
        self.message = message
    }
}

/// What the planner decided for one reconcile: the status the job should
/// have, the writes that bring the world in line, and when to look again.
public struct ReconcilePlan: Sendable, Hashable {
    /// The full status the job should have (worker-owned fields as observed),
    /// including the restart bookkeeping (`restartCount`, `disruptions`).
    public var status: TrainingJobStatus
    /// In order; none depends on another's success except by name.
    public var actions: [ReconcileAction]
    public var events: [PlannedEvent]
    /// Reconcile again after this long (deadline, TTL, backoff, stall check).
    public var requeueAfter: Duration?
    /// Transitions to count in metrics.
    public var transitions: Set<Transition>

    public enum Transition: String, Sendable, Hashable {
        case created, started, restarted, succeeded, failed, suspended, resumed
    }

    public init(status: TrainingJobStatus) {
        self.status = status
        self.actions = []
        self.events = []
        self.transitions = []
    }

    /// Keeps the earliest requeue.
    mutating func requeue(after delay: Duration) {
        requeueAfter = min(requeueAfter ?? delay, delay)
    }
}
