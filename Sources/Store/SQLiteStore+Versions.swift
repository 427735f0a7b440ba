import Foundation

extension SQLiteStore {
    /// The `version_counters` kind for function versions.
    static let functionCounterKind = "function"

    public func publishFunctionVersion(
        _ record: FunctionRecord, expectedLatestRevisionId: String
    ) throws(StoreError) -> FunctionRecord {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> FunctionRecord in
                let latest = try database.query(
                    "SELECT revision_id FROM functions WHERE name = ? AND version = ?",
                    [record.name, FunctionRecord.latestVersion]
                ) { $0.text(0) }.first
                guard let latest else {
                    throw StoreError(.notFound, "Function \(record.name) does not exist.")
                }
                guard latest == expectedLatestRevisionId else {
                    throw StoreError(
                        .preconditionFailed,
                        "The revision ID \(expectedLatestRevisionId) does not match the current revision \(latest).")
                }
                let number = try Self.nextNumber(
                    database, kind: Self.functionCounterKind, name: record.name,
                    highestStored: """
                        SELECT MAX(CAST(version AS INTEGER)) FROM functions WHERE name = ? AND version != '$LATEST'
                        """)
                var published = record
                published.version = String(number)
                try database.run(
                    """
                    INSERT INTO functions
                        (name, version, revision_id, code_sha256_hex, last_modified_ms, record)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                    [
                        published.name, published.version, published.revisionId, published.codeSha256Hex,
                        published.lastModifiedMilliseconds, try Self.recordJSON(published),
                    ]
                )
                return published
            }
        }
    }

    /// Takes the next number of `name`'s counter of `kind` and records it as used.
    ///
    /// `highestStored` is a query for the highest number already in use, so a counter that
    /// is missing (a database from before counters) never hands out a taken number.
    static func nextNumber(
        _ database: SQLiteDatabase, kind: String, name: String, highestStored: String
    ) throws(StoreError) -> Int {
        let counter =
            try database.query(
                "SELECT last_version FROM version_counters WHERE kind = ? AND name = ?", [kind, name]
            ) { $0.int(0) }.first ?? 0
        let stored = try database.query(highestStored, [name]) { $0.int(0) }.first ?? 0
        let number = max(counter, stored) + 1
        try database.run(
            """
            INSERT INTO version_counters (kind, name, last_version) VALUES (?, ?, ?)
            ON CONFLICT (kind, name) DO UPDATE SET last_version = excluded.last_version
            """,
            [kind, name, number]
        )
        return number
    }

    /// Deletes everything hanging off function `name` besides its versions: aliases, tags
    /// and its version counter. Call inside the transaction that deletes the versions.
    static func deleteFunctionDependents(_ database: SQLiteDatabase, name: String) throws(StoreError) {
        try database.run("DELETE FROM aliases WHERE function_name = ?", [name])
        try database.run("DELETE FROM function_tags WHERE function_name = ?", [name])
        try database.run("DELETE FROM function_policies WHERE function_name = ?", [name])
        try database.run("DELETE FROM provisioned_concurrency WHERE function_name = ?", [name])
        try database.run(
            "DELETE FROM version_counters WHERE kind = ? AND name = ?", [functionCounterKind, name])
    }

    /// `value` as sorted-key JSON, the way records are kept in their `record` column.
    static func recordJSON<T: Encodable>(_ value: T) throws(StoreError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw StoreError(.invalidArgument, "A \(T.self) cannot be encoded: \(error).")
        }
    }

    /// Decodes a record kept by `recordJSON`.
    static func record<T: Decodable>(_ type: T.Type, from json: String) throws(StoreError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(json.utf8))
        } catch {
            throw StoreError(.corrupt, "A stored \(T.self) cannot be read: \(error).")
        }
    }
}
