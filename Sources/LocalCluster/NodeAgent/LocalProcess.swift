import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A container's process: started with `posix_spawn` in a process group of
/// its own, stdout and stderr appended to a log file, stdin from /dev/null.
///
/// Signals go to the whole group, as a container runtime signals every
/// process of the container. Signal dispositions and the signal mask are
/// reset to the defaults in the child, so a SIGTERM that the agent's own
/// process ignores (for its graceful shutdown) still reaches the container.
/// When the group leader exits, whatever remains of its group is killed,
/// as nothing outlives a container's main process.
///
/// With bind mounts (`PrivateMountNamespace`), `setpriv` execs `unshare`,
/// which execs a shell that mounts and execs the command: still one pid.
///
/// Nor does a container outlive the process that started it, even when
/// that process is killed with SIGKILL and cannot clean up: on Linux the
/// container's process is started through util-linux's `setpriv
/// --pdeathsig KILL`, which sets `PR_SET_PDEATHSIG` and then execs the
/// container's command (same pid). The kernel sends that signal when the
/// *thread* that started the child exits, so every process is started on
/// one dedicated thread that lives as long as the process (`SpawningThread`).
/// Without `setpriv` (or on other systems) the process is started directly
/// and only an orderly stop of the agent stops it. Not covered: an agent
/// killed in the instant between the spawn and `setpriv`'s `prctl`, and
/// processes that the container's main process started itself (they are
/// in its group, which only the agent signals).
///
/// Safe to use from any task: the reaping of the process and every signal
/// sent to it are serialised, so a signal never reaches a recycled pid.
public final class LocalProcess: Sendable {
    /// How a process ended.
    public struct Exit: Sendable, Hashable {
        /// The exit status, or `128 + signal` when a signal ended it (as
        /// container runtimes report it).
        public var code: Int32
        /// The signal that ended the process, if one did.
        public var signal: Int32?
    }

    public let pid: pid_t
    private let state = Mutex<Exit?>(nil)

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `arguments[0]` with `arguments[1...]`.
    ///
    /// - Parameters:
    ///   - environment: the complete environment of the process.
    ///   - workingDirectory: the directory the process starts in, if not the agent's.
    ///   - logFile: stdout and stderr are appended to this file (created if absent).
    ///   - isolation: the Pod's namespaces the process joins: it runs in the
    ///     Pod's network namespace, with the Pod's hostname and `bindMounts`,
    ///     and starts in `workingDirectory` as seen inside its mounts. A
    ///     command without a slash is looked up in the environment's PATH.
    ///   - bindMounts: directories the process sees at other paths, in a
    ///     mount namespace of its own (`PrivateMountNamespace`); throws
    ///     `spawnFailed` when such a namespace cannot be made here.
    public static func spawn(
        arguments: [String], environment: [String: String], workingDirectory: String?, logFile: URL,
        bindMounts: [ContainerLaunch.BindMount] = [], isolation: ContainerLaunch.Isolation? = nil
    ) throws(NodeAgentError) -> LocalProcess {
        guard let executable = arguments.first else {
            throw NodeAgentError(.spawnFailed, "no executable to start")
        }
        var command = arguments
        var workingDirectory = workingDirectory
        if let isolation {
            guard let wrapped = PrivateMountNamespace.wrap(
                command, bindMounts: bindMounts, isolation: isolation, workingDirectory: workingDirectory)
            else {
                throw NodeAgentError(.spawnFailed, "cannot give \(executable) the Pod's namespaces: \(PodNetwork.availability)")
            }
            command = wrapped
            workingDirectory = nil
        } else if ParentDeathSignal.setpriv != nil || !bindMounts.isEmpty {
            // `setpriv` and the shell run the command with execvp: a name without a slash
            // would be searched in PATH, where posix_spawn takes it as a path.
            let resolved = executable.contains("/") ? executable : "./" + executable
            let base = executable.hasPrefix("/") ? "" : (workingDirectory ?? FileManager.default.currentDirectoryPath) + "/"
            guard access(base + resolved, X_OK) == 0 else {
                throw NodeAgentError(.spawnFailed, "cannot start \(executable): \(Self.errnoText())")
            }
            command = [resolved] + arguments.dropFirst()
        }
        if isolation == nil && !bindMounts.isEmpty {
            guard let wrapped = PrivateMountNamespace.wrap(command, bindMounts: bindMounts) else {
                throw NodeAgentError(.spawnFailed, "cannot give \(executable) its bind mounts: \(PrivateMountNamespace.availability)")
            }
            command = wrapped
        }
        if let setpriv = ParentDeathSignal.setpriv {
            // First, so that the signal is set before anything else runs; it
            // survives the execs that follow (none is set-user-ID).
            command = [setpriv, "--pdeathsig", "KILL", "--"] + command
        }
        let finalCommand = command
        let spawnDirectory = workingDirectory
        let result = SpawningThread.shared.perform {
            Result { () throws(NodeAgentError) -> pid_t in
                try spawnNow(arguments: finalCommand, environment: environment, workingDirectory: spawnDirectory, logFile: logFile)
            }
        }
        return LocalProcess(pid: try result.get())
    }

    /// `posix_spawn`s `arguments` (run on the spawning thread); returns the pid.
    private static func spawnNow(
        arguments: [String], environment: [String: String], workingDirectory: String?, logFile: URL
    ) throws(NodeAgentError) -> pid_t {
        let executable = arguments[0]
        let logDescriptor = open(logFile.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard logDescriptor >= 0 else {
            throw NodeAgentError(.fileSystem, "cannot open log file \(logFile.path): \(Self.errnoText())")
        }
        defer { close(logDescriptor) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, logDescriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, logDescriptor, 2)
        if let closeFrom = SpawnExtensions.closeFrom {
            _ = closeFrom(&actions, 3)
        }
        if let workingDirectory {
            guard FileManager.default.fileExists(atPath: workingDirectory) else {
                throw NodeAgentError(.spawnFailed, "working directory \(workingDirectory) does not exist")
            }
            guard let changeDirectory = SpawnExtensions.changeDirectory else {
                throw NodeAgentError(.spawnFailed, "this C library cannot set a working directory for posix_spawn")
            }
            _ = changeDirectory(&actions, workingDirectory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envpBuffer in
                posix_spawn(
                    &pid, executable, &actions, &attributes,
                    UnsafeMutablePointer(mutating: argvBuffer.baseAddress!),
                    UnsafeMutablePointer(mutating: envpBuffer.baseAddress!))
            }
        }
        guard result == 0 else {
            throw NodeAgentError(.spawnFailed, "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Sends `signal` to every process of the group, unless the process has
    /// already been reaped.
    public func signal(_ signal: Int32) {
        state.withLock { exit in
            guard exit == nil else { return }
            if kill(-pid, signal) != 0 { kill(pid, signal) }
        }
    }

    /// Sends SIGTERM now and SIGKILL after `gracePeriod` if the process has
    /// not exited by then. Returns at once.
    public func terminate(gracePeriod: Duration) {
        if gracePeriod <= .zero {
            signal(SIGKILL)
            return
        }
        signal(SIGTERM)
        let seconds = Double(gracePeriod.components.seconds) + Double(gracePeriod.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            signal(SIGKILL)
        }
    }

    /// The exit, if the process has ended and been reaped.
    public var exit: Exit? { state.withLock { $0 } }

    /// Waits until the process ends and returns how it ended.
    ///
    /// Not cancellable: a process is always reaped. To end it sooner, signal it.
    public func waitForExit() async -> Exit {
        while true {
            if let exit = reap() { return exit }
            await Self.pause(milliseconds: 50)
        }
    }

    private func reap() -> Exit? {
        state.withLock { exit in
            if let exit { return exit }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == 0 { return nil }
            let ended: Exit
            if result < 0 {
                // Reaped elsewhere (should not happen): report it as lost.
                ended = Exit(code: 255, signal: nil)
            } else if status & 0x7f == 0 {
                ended = Exit(code: (status >> 8) & 0xff, signal: nil)
            } else {
                let signal = status & 0x7f
                ended = Exit(code: 128 + signal, signal: signal)
            }
            // Nothing outlives the container's main process.
            kill(-pid, SIGKILL)
            exit = ended
            return ended
        }
    }

    /// Sleeps without observing task cancellation.
    private static func pause(milliseconds: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                continuation.resume()
            }
        }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// The GNU extensions of `posix_spawn` (glibc 2.29 and 2.34), which Swift's
/// C library module does not export; looked up at run time.
private enum SpawnExtensions {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    static let changeDirectory: AddChdir? = lookUp("posix_spawn_file_actions_addchdir_np")
    static let closeFrom: AddCloseFrom? = lookUp("posix_spawn_file_actions_addclosefrom_np")

    private static func lookUp<T>(_ name: String) -> T? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: T.self)
    }
}

/// The parent-death signal of container processes (see `LocalProcess`).
enum ParentDeathSignal {
    /// util-linux's `setpriv`, when this system has it (Linux only).
    static let setpriv: String? = {
        #if os(Linux)
        return ["/usr/bin/setpriv", "/bin/setpriv"].first { access($0, X_OK) == 0 }
        #else
        return nil
        #endif
    }()
}

/// The one thread on which every container process is started. It never
/// exits, so the kernel's parent-death signal (which follows the thread
/// that started a child, not the process) fires only when the whole
/// process ends. Safe to use from any thread; `perform` blocks the caller
/// for the duration of one `posix_spawn`.
final class SpawningThread: @unchecked Sendable {
    static let shared = SpawningThread()

    /// Guards `requests`.
    private let condition = NSCondition()
    private var requests: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [self] in serve() }
        thread.name = "ringmaster.local-process-spawner"
        thread.start()
    }

    /// Runs `body` on the spawning thread and returns its result.
    func perform<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        condition.lock()
        requests.append {
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return result.withLock { $0! }
    }

    private func serve() {
        while true {
            condition.lock()
            while requests.isEmpty { condition.wait() }
            let request = requests.removeFirst()
            condition.unlock()
            request()
        }
    }
}
