import Foundation
import GRDB
import KubeClient

/// The SQLite file behind the local API server: every object by key, the
/// last assigned resourceVersion, and a bounded log of watch events.
///
/// The database runs in WAL mode with `synchronous=FULL`, so a write that
/// `commit` has returned from survives a SIGKILL of the process (and a power
/// loss, as far as the file system honours fsync). Not safe for concurrent
/// use; `ClusterState` serializes access.
final class ObjectDatabase {
    /// One row of the watch event log.
    struct LoggedEvent {
        var resourceVersion: Int64
        var type: String
        var storageName: String
        var object: Data
        var previous: Data?
    }

    private let queue: DatabaseQueue

    /// Opens (creating if needed) the database at `url`. The directory holding
    /// it (the data directory) is made 0700, tightened if it exists with looser
    /// modes, and the database with its `-wal` and `-shm` files is 0600: it
    /// holds every Secret.
    init(url: URL) throws {
        try PrivateFiles.makeDirectory(url.deletingLastPathComponent())
        if FileManager.default.fileExists(atPath: url.path) {
            for suffix in ["", "-wal", "-shm"] { try PrivateFiles.restrict(URL(fileURLWithPath: url.path + suffix)) }
        } else {
            // SQLite gives the -wal and -shm files the mode of the database file.
            try PrivateFiles.write(Data(), to: url)
        }
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        queue = try DatabaseQueue(path: url.path, configuration: configuration)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS objects (
                    key TEXT PRIMARY KEY NOT NULL,
                    rv INTEGER NOT NULL,
                    json BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS events (
                    rv INTEGER PRIMARY KEY NOT NULL,
                    type TEXT NOT NULL,
                    storage TEXT NOT NULL,
                    json BLOB NOT NULL,
                    previous BLOB);
                CREATE TABLE IF NOT EXISTS meta (
                    name TEXT PRIMARY KEY NOT NULL,
                    value INTEGER NOT NULL);
                """)
        }
    }

    /// Every stored object with its key.
    func loadObjects() throws -> [(key: String, json: Data)] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT key, json FROM objects").map { ($0["key"], $0["json"]) }
        }
    }

    /// The last resourceVersion ever assigned (0 for a new database).
    func lastResourceVersion() throws -> Int64 {
        try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'rv'") ?? 0
        }
    }

    /// The oldest resourceVersion still in the event log, or nil if it is empty.
    func oldestLoggedVersion() throws -> Int64? {
        try queue.read { db in try Int64.fetchOne(db, sql: "SELECT MIN(rv) FROM events") }
    }

    /// Atomically stores (or, for `object == nil`, removes) `key`, appends the
    /// watch event and advances the resourceVersion. Durable on return.
    func commit(key: String, object: Data?, event: LoggedEvent) throws {
        try queue.write { db in
            if let object {
                try db.execute(sql: "INSERT OR REPLACE INTO objects (key, rv, json) VALUES (?, ?, ?)",
                               arguments: [key, event.resourceVersion, object])
            } else {
                try db.execute(sql: "DELETE FROM objects WHERE key = ?", arguments: [key])
            }
            try db.execute(sql: "INSERT INTO events (rv, type, storage, json, previous) VALUES (?, ?, ?, ?, ?)",
                           arguments: [event.resourceVersion, event.type, event.storageName, event.object, event.previous])
            try db.execute(sql: "INSERT OR REPLACE INTO meta (name, value) VALUES ('rv', ?)", arguments: [event.resourceVersion])
        }
    }

    /// Events with resourceVersion greater than `after`, oldest first.
    func events(after: Int64, storageName: String) throws -> [LoggedEvent] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT rv, type, storage, json, previous FROM events WHERE rv > ? AND storage = ? ORDER BY rv",
                             arguments: [after, storageName]).map {
                LoggedEvent(resourceVersion: $0["rv"], type: $0["type"], storageName: $0["storage"], object: $0["json"], previous: $0["previous"])
            }
        }
    }

    /// Drops all but the newest `keep` events from the log.
    func compact(keep: Int) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM events WHERE rv <= (SELECT MAX(rv) FROM events) - ?", arguments: [keep])
        }
    }
}
