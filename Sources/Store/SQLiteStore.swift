import Foundation
import Synchronization

/// The embedded store: SQLite in WAL mode (`store.sqlite`) plus content-addressed code
/// blobs (`blobs/`), both under one data directory. Reopening the directory sees
/// everything committed before.
public final class SQLiteStore: Store {
    /// The directory holding the database and the blobs.
    public let dataDirectory: String

    /// One connection behind a lock. SQLite runs one write transaction at a time anyway,
    /// every store call is short, and a single connection keeps the statement cache and
    /// transactions simple; WAL mode would allow a pool of readers if reads ever contend.
    let database: Mutex<SQLiteDatabase>
    /// A second connection for log groups, streams and events. Log lines arrive in a
    /// steady stream and need not survive a power loss, so this connection commits with
    /// `synchronous=NORMAL` (durable across a crash of the process, WAL-ordered), and
    /// its writes never hold the lock that function lookups on the invoke path take.
    let logDatabase: Mutex<SQLiteDatabase>
    /// Function records by name and version, filled on read and dropped on every write
    /// to that function. This process is the only writer of its database, so the cache
    /// cannot go stale; it keeps SQLite and JSON decoding off the warm invoke path.
    let functionCache = Mutex<[String: FunctionRecord]>([:])
    let blobs: BlobDirectory
    /// Milliseconds since the Unix epoch; injectable so tests control time.
    let now: @Sendable () -> Int64

    /// Opens the store in `dataDirectory`, creating the directory, database and blob
    /// directory as needed and bringing the schema up to date.
    public convenience init(dataDirectory: String) throws(StoreError) {
        try self.init(dataDirectory: dataDirectory) {
            Int64((Date().timeIntervalSince1970 * 1_000).rounded(.down))
        }
    }

    /// Opens the store with a custom clock for ingestion times and retention.
    public init(dataDirectory: String, clock: @escaping @Sendable () -> Int64) throws(StoreError) {
        try FileSystem.makeDirectories(dataDirectory)
        let connection = try SQLiteDatabase(path: dataDirectory + "/store.sqlite")
        try Migrations.apply(to: connection)
        self.dataDirectory = dataDirectory
        self.blobs = try BlobDirectory(root: dataDirectory + "/blobs")
        let logConnection = try SQLiteDatabase(path: dataDirectory + "/store.sqlite")
        try logConnection.execute("PRAGMA synchronous = NORMAL;")
        self.database = Mutex(connection)
        self.logDatabase = Mutex(logConnection)

        self.now = clock
    }

    /// Runs `body` with exclusive use of the connection the asynchronous queue shares
    /// with the logs. Sharing it matters: SQLite lets one connection write at a time and
    /// makes the others sleep and retry, so the two busiest writers queue on this lock
    /// instead. Writes here commit with `synchronous=NORMAL` unless they raise it.
    @discardableResult
    func withQueueDatabase<T: Sendable>(_ body: (SQLiteDatabase) throws(StoreError) -> T) throws(StoreError) -> T {
        try logDatabase.withLock { connection throws(StoreError) -> T in try body(connection) }
    }

    /// Runs `body` with exclusive use of the log connection.
    @discardableResult
    func withLogDatabase<T: Sendable>(_ body: (SQLiteDatabase) throws(StoreError) -> T) throws(StoreError) -> T {
        try logDatabase.withLock { connection throws(StoreError) -> T in try body(connection) }
    }

    /// Runs `body` with exclusive use of the connection.
    @discardableResult
    func withDatabase<T: Sendable>(_ body: (SQLiteDatabase) throws(StoreError) -> T) throws(StoreError) -> T {
        try database.withLock { connection throws(StoreError) -> T in try body(connection) }
    }
}
