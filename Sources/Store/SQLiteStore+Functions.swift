import Foundation

extension SQLiteStore {
    public func createFunction(_ record: FunctionRecord) throws(StoreError) {
        let json = try encode(record)
        try withDatabase { database throws(StoreError) in
            invalidateCache(record.name)
            do throws(StoreError) {
                try database.run(
                    """
                    INSERT INTO functions
                        (name, version, revision_id, code_sha256_hex, last_modified_ms, record)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                    [
                        record.name, record.version, record.revisionId, record.codeSha256Hex,
                        record.lastModifiedMilliseconds, json,
                    ]
                )
            } catch  where error.code == .conflict {
                throw StoreError(.conflict, "Function \(describe(record)) already exists.")
            }
        }
    }

    public func function(named name: String, version: String) throws(StoreError) -> FunctionRecord? {
        let key = Self.cacheKey(name, version)
        if let cached = functionCache.withLock({ $0[key] }) {
            return cached
        }
        // Filled while holding the connection, so a concurrent write (which
        // invalidates under the same lock) cannot be overtaken by a stale fill.
        return try withDatabase { database throws(StoreError) in
            let json = try database.query(
                "SELECT record FROM functions WHERE name = ? AND version = ?", [name, version]
            ) { $0.text(0) }.first
            guard let json else { return nil }
            let record = try decode(json)
            functionCache.withLock { $0[key] = record }
            return record
        }
    }

    public func cachedFunction(named name: String, version: String) -> FunctionRecord? {
        functionCache.withLock { $0[Self.cacheKey(name, version)] }
    }

    private static func cacheKey(_ name: String, _ version: String) -> String {
        name + "\n" + version
    }

    /// Drops every cached version of `name`. Call while holding the connection.
    private func invalidateCache(_ name: String) {
        let prefix = name + "\n"
        functionCache.withLock { cache in
            cache = cache.filter { !$0.key.hasPrefix(prefix) }
        }
    }

    public func functionVersions(named name: String) throws(StoreError) -> [FunctionRecord] {
        let records = try withDatabase { database throws(StoreError) in
            try database.query(
                """
                SELECT record FROM functions WHERE name = ?
                ORDER BY version = ? DESC, CAST(version AS INTEGER), version
                """,
                [name, FunctionRecord.latestVersion]
            ) { $0.text(0) }
        }
        return try records.map { json throws(StoreError) in try decode(json) }
    }

    public func updateFunction(_ record: FunctionRecord, expectedRevisionId: String?) throws(StoreError) {
        let json = try encode(record)
        try withDatabase { database throws(StoreError) in
            invalidateCache(record.name)
            try database.transaction { () throws(StoreError) in
                let stored = try database.query(
                    "SELECT revision_id FROM functions WHERE name = ? AND version = ?",
                    [record.name, record.version]
                ) { $0.text(0) }.first
                guard let stored else {
                    throw StoreError(.notFound, "Function \(describe(record)) does not exist.")
                }
                if let expectedRevisionId, expectedRevisionId != stored {
                    throw StoreError(
                        .preconditionFailed,
                        "The revision ID \(expectedRevisionId) does not match the current revision \(stored)."
                    )
                }
                try database.run(
                    """
                    UPDATE functions
                    SET revision_id = ?, code_sha256_hex = ?, last_modified_ms = ?, record = ?
                    WHERE name = ? AND version = ?
                    """,
                    [
                        record.revisionId, record.codeSha256Hex, record.lastModifiedMilliseconds, json,
                        record.name, record.version,
                    ]
                )
            }
        }
    }

    @discardableResult
    public func deleteFunction(named name: String) throws(StoreError) -> Bool {
        try withDatabase { database throws(StoreError) in
            invalidateCache(name)
            return try database.transaction { () throws(StoreError) -> Bool in
                try Self.deleteFunctionDependents(database, name: name)
                return try database.run("DELETE FROM functions WHERE name = ?", [name]) > 0
            }
        }
    }

    @discardableResult
    public func deleteFunctionVersion(named name: String, version: String) throws(StoreError) -> Bool {
        try withDatabase { database throws(StoreError) in
            invalidateCache(name)
            return try database.transaction { () throws(StoreError) -> Bool in
                try database.run(
                    "DELETE FROM function_policies WHERE function_name = ? AND qualifier = ?", [name, version])
                try database.run(
                    "DELETE FROM provisioned_concurrency WHERE function_name = ? AND qualifier = ?", [name, version])
                return try database.run("DELETE FROM functions WHERE name = ? AND version = ?", [name, version]) > 0
            }
        }
    }

    public func listFunctions(after marker: String?, limit: Int) throws(StoreError) -> [FunctionRecord] {
        let records = try withDatabase { database throws(StoreError) in
            try database.query(
                """
                SELECT record FROM functions
                WHERE version = ?1 AND (?2 IS NULL OR name > ?2)
                ORDER BY name LIMIT ?3
                """,
                [FunctionRecord.latestVersion, marker, max(0, limit)]
            ) { $0.text(0) }
        }
        return try records.map { json throws(StoreError) in try decode(json) }
    }

    /// The hex SHA-256 of every blob some function version references.
    func referencedBlobs(_ database: SQLiteDatabase) throws(StoreError) -> Set<String> {
        Set(
            try database.query(
                "SELECT code_sha256_hex FROM functions UNION SELECT code_sha256_hex FROM layer_versions"
            ) { $0.text(0) })
    }

    private func describe(_ record: FunctionRecord) -> String {
        "\(record.name) version \(record.version)"
    }

    /// Records are kept whole as JSON, with the fields the store queries copied into
    /// columns, so adding a field to `FunctionRecord` needs no migration.
    private func encode(_ record: FunctionRecord) throws(StoreError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            return String(decoding: try encoder.encode(record), as: UTF8.self)
        } catch {
            throw StoreError(.invalidArgument, "Function \(record.name) cannot be encoded: \(error).")
        }
    }

    private func decode(_ json: String) throws(StoreError) -> FunctionRecord {
        do {
            return try JSONDecoder().decode(FunctionRecord.self, from: Data(json.utf8))
        } catch {
            throw StoreError(.corrupt, "A stored function record cannot be read: \(error).")
        }
    }
}
