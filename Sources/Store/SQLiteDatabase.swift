import CSQLite

/// One SQLite connection with cached prepared statements.
///
/// Opened in WAL mode with `synchronous=FULL`, so a committed transaction is on disk
/// before the call that committed it returns, with foreign keys enforced and a busy
/// timeout for other processes sharing the file. Not thread-safe: the owner serialises
/// every use (see `SQLiteStore`).
final class SQLiteDatabase {
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    private var savepointDepth = 0

    /// How long a statement waits for another process's lock before failing with SQLITE_BUSY.
    static let busyTimeoutMilliseconds: Int32 = 5_000

    /// Opens (creating if needed) the database file at `path` and sets its pragmas.
    init(path: String) throws(StoreError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw Self.error(status, "Could not open the database \(path): \(message)")
        }
        self.handle = handle
        try configure()
    }

    deinit {
        for statement in statements.values {
            sqlite3_finalize(statement)
        }
        // close_v2 also checkpoints the WAL when this is the last connection.
        sqlite3_close_v2(handle)
    }

    private func configure() throws(StoreError) {
        sqlite3_busy_timeout(handle, Self.busyTimeoutMilliseconds)
        let mode = try query("PRAGMA journal_mode = WAL") { $0.text(0) }.first
        guard mode?.lowercased() == "wal" else {
            throw StoreError(
                .io, "The database could not switch to WAL mode (it reports \(mode ?? "nothing")).")
        }
        try execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
    }

    /// Runs one or more statements that take no parameters and return no rows, such as a migration.
    func execute(_ script: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, script, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard status == SQLITE_OK else {
            let reason = message.map { String(cString: $0) } ?? lastMessage
            throw Self.error(status, reason)
        }
    }

    /// Runs a statement that returns no rows.
    ///
    /// - Returns: The number of rows it inserted, updated or deleted.
    @discardableResult
    func run(_ sql: String, _ values: [any SQLiteBindable] = []) throws(StoreError) -> Int {
        try iterate(sql, values) { _ throws(StoreError) in true }
        return Int(sqlite3_changes64(handle))
    }

    /// Runs a query and maps every row with `transform`.
    func query<T>(
        _ sql: String, _ values: [any SQLiteBindable] = [], _ transform: (SQLiteRow) throws(StoreError) -> T
    ) throws(StoreError) -> [T] {
        var results: [T] = []
        try iterate(sql, values) { row throws(StoreError) in
            results.append(try transform(row))
            return true
        }
        return results
    }

    /// Runs a statement, handing each row to `body` until it returns false or rows run out.
    func iterate(
        _ sql: String, _ values: [any SQLiteBindable], _ body: (SQLiteRow) throws(StoreError) -> Bool
    ) throws(StoreError) {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        try bind(values, to: statement)
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw lastError(status) }
            if try !body(SQLiteRow(statement)) { return }
        }
    }

    /// The rowid of the most recent successful INSERT on this connection.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    ///
    /// The outermost call takes the write lock at once (`BEGIN IMMEDIATE`) so a
    /// read-then-write body cannot fail half way on a lock upgrade; nested calls use
    /// savepoints, so an inner failure undoes only the inner work.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        let savepoint = "nested_\(savepointDepth)"
        let outermost = savepointDepth == 0
        try execute(outermost ? "BEGIN IMMEDIATE" : "SAVEPOINT \(savepoint)")
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        do {
            let result = try body()
            try execute(outermost ? "COMMIT" : "RELEASE \(savepoint)")
            return result
        } catch {
            // The original failure is the one to report; a failed rollback leaves
            // SQLite to roll back when the connection next begins or closes.
            try? execute(outermost ? "ROLLBACK" : "ROLLBACK TO \(savepoint); RELEASE \(savepoint)")
            throw error
        }
    }

    private func prepared(_ sql: String) throws(StoreError) -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw lastError(status) }
        statements[sql] = statement
        return statement
    }

    private func bind(_ values: [any SQLiteBindable], to statement: OpaquePointer) throws(StoreError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value.sqliteValue {
            case .null: status = sqlite3_bind_null(statement, index)
            case .integer(let number): status = sqlite3_bind_int64(statement, index, number)
            case .real(let number): status = sqlite3_bind_double(statement, index, number)
            case .text(let text): status = bindText(text, at: index, of: statement)
            case .blob(let bytes): status = bindBlob(bytes, at: index, of: statement)
            }
            guard status == SQLITE_OK else { throw lastError(status) }
        }
    }

    private func bindText(_ text: String, at index: Int32, of statement: OpaquePointer) -> Int32 {
        let length = UInt64(text.utf8.count)
        return sqlite3_bind_text64(statement, index, text, length, transient, UInt8(SQLITE_UTF8))
    }

    private func bindBlob(_ bytes: [UInt8], at index: Int32, of statement: OpaquePointer) -> Int32 {
        // A null pointer would bind NULL rather than an empty blob.
        guard !bytes.isEmpty else { return sqlite3_bind_zeroblob(statement, index, 0) }
        return bytes.withUnsafeBytes { buffer in
            sqlite3_bind_blob64(statement, index, buffer.baseAddress, UInt64(buffer.count), transient)
        }
    }

    private var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    private func lastError(_ status: Int32) -> StoreError {
        Self.error(sqlite3_extended_errcode(handle), lastMessage)
    }

    /// Maps an SQLite result code to the store's error kinds.
    static func error(_ status: Int32, _ message: String) -> StoreError {
        // Extended codes for uniqueness violations (macros built from shifts, not imported).
        let primaryKeyViolation = SQLITE_CONSTRAINT | (6 << 8)
        let uniqueViolation = SQLITE_CONSTRAINT | (8 << 8)
        if status == primaryKeyViolation || status == uniqueViolation {
            return StoreError(.conflict, message, sqliteCode: status)
        }
        let code: StoreError.Code =
            switch status & 0xff {
            case SQLITE_CORRUPT, SQLITE_NOTADB: .corrupt
            case SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_READONLY: .io
            default: .sqlite
            }
        return StoreError(code, message, sqliteCode: status)
    }
}

/// Tells SQLite to copy bound text and blobs (SQLITE_TRANSIENT, a cast macro Swift cannot import).
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
