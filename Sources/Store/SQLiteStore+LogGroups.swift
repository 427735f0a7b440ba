extension SQLiteStore {
    public func ensureLogGroup(_ name: String) throws(StoreError) {
        let created = now()
        try withLogDatabase { database throws(StoreError) in
            try database.run(
                "INSERT OR IGNORE INTO log_groups (name, created_ms) VALUES (?, ?)", [name, created])
        }
    }

    public func createLogGroup(_ name: String) throws(StoreError) {
        let created = now()
        try withLogDatabase { database throws(StoreError) in
            do throws(StoreError) {
                try database.run("INSERT INTO log_groups (name, created_ms) VALUES (?, ?)", [name, created])
            } catch  where error.code == .conflict {
                throw StoreError(.conflict, "The log group \(name) already exists.")
            }
        }
    }

    public func createLogStream(group: String, stream: String) throws(StoreError) {
        let created = now()
        try withLogDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                try requireGroup(group, database)
                do throws(StoreError) {
                    try database.run(
                        "INSERT INTO log_streams (group_name, name, created_ms) VALUES (?, ?, ?)",
                        [group, stream, created]
                    )
                } catch  where error.code == .conflict {
                    throw StoreError(.conflict, "The log stream \(stream) already exists in \(group).")
                }
            }
        }
    }

    public func setLogRetention(group: String, days: Int?) throws(StoreError) {
        let changed = try withLogDatabase { database throws(StoreError) in
            try database.run("UPDATE log_groups SET retention_days = ? WHERE name = ?", [days, group])
        }
        guard changed > 0 else { throw StoreError(.notFound, "The log group \(group) does not exist.") }
    }

    public func logGroups(
        prefix: String?, after token: String?, limit: Int
    ) throws(StoreError) -> [LogGroupInfo] {
        try withLogDatabase { database throws(StoreError) in
            try database.query(
                """
                SELECT name, created_ms, retention_days,
                    (SELECT coalesce(sum(stored_bytes), 0) FROM log_streams s WHERE s.group_name = g.name)
                FROM log_groups g
                WHERE (?1 IS NULL OR substr(name, 1, length(?1)) = ?1) AND (?2 IS NULL OR name > ?2)
                ORDER BY name LIMIT ?3
                """,
                [prefix, token, max(0, limit)]
            ) { row in
                LogGroupInfo(
                    name: row.text(0), createdMilliseconds: row.int64(1),
                    retentionDays: row.optionalInt64(2).map { Int($0) }, storedBytes: row.int64(3)
                )
            }
        }
    }

    public func logStreams(
        group: String, prefix: String?, orderByLastEvent: Bool, descending: Bool, after token: String?,
        limit: Int
    ) throws(StoreError) -> LogStreamsPage {
        let start = try token.map { token throws(StoreError) in try StreamPageToken(parsing: token) }
        let sql = Self.streamsSQL(orderByLastEvent: orderByLastEvent, descending: descending)
        let limit = max(1, limit)
        let rows = try withLogDatabase { database throws(StoreError) in
            try requireGroup(group, database)
            return try database.query(sql, [group, prefix, start?.sortKey, start?.name, limit + 1]) { row in
                (stream: Self.streamInfo(row), sortKey: row.int64(6))
            }
        }
        let page = rows.prefix(limit)
        guard rows.count > limit, let last = page.last else {
            return (streams: page.map(\.stream), nextToken: nil)
        }
        let next = StreamPageToken(sortKey: last.sortKey, name: last.stream.name)
        return (streams: page.map(\.stream), nextToken: next.string)
    }

    /// Streams in one of four orders. The sort key (last event time, or a constant when
    /// ordering by name) and the name together make the keyset that tokens page from.
    private static func streamsSQL(orderByLastEvent: Bool, descending: Bool) -> String {
        let sortKey = orderByLastEvent ? "coalesce(last_event_ms, 0)" : "0"
        let order = descending ? "DESC" : "ASC"
        // ORDER BY a bare constant would name a result column, so name order leaves the key out.
        let ordering = orderByLastEvent ? "\(sortKey) \(order), name \(order)" : "name \(order)"
        return """
            SELECT name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes,
                \(sortKey)
            FROM log_streams
            WHERE group_name = ?1 AND (?2 IS NULL OR substr(name, 1, length(?2)) = ?2)
                AND (?3 IS NULL OR (\(sortKey), name) \(descending ? "<" : ">") (?3, ?4))
            ORDER BY \(ordering) LIMIT ?5
            """
    }

    private static func streamInfo(_ row: SQLiteRow) -> LogStreamInfo {
        LogStreamInfo(
            name: row.text(0), createdMilliseconds: row.int64(1),
            firstEventMilliseconds: row.optionalInt64(2), lastEventMilliseconds: row.optionalInt64(3),
            lastIngestionMilliseconds: row.optionalInt64(4), storedBytes: row.int64(5)
        )
    }

    @discardableResult
    public func deleteLogGroup(_ name: String) throws(StoreError) -> Bool {
        try withLogDatabase { database throws(StoreError) in
            // Streams and their events go with the group (ON DELETE CASCADE).
            try database.run("DELETE FROM log_groups WHERE name = ?", [name]) > 0
        }
    }

    @discardableResult
    public func deleteLogStream(group: String, stream: String) throws(StoreError) -> Bool {
        try withLogDatabase { database throws(StoreError) in
            try database.run("DELETE FROM log_streams WHERE group_name = ? AND name = ?", [group, stream]) > 0
        }
    }

    func requireGroup(_ group: String, _ database: SQLiteDatabase) throws(StoreError) {
        let exists = try database.query("SELECT 1 FROM log_groups WHERE name = ?", [group]) { _ in true }
        guard !exists.isEmpty else { throw StoreError(.notFound, "The log group \(group) does not exist.") }
    }

    func requireStream(_ group: String, _ stream: String, _ database: SQLiteDatabase) throws(StoreError) {
        let exists = try database.query(
            "SELECT 1 FROM log_streams WHERE group_name = ? AND name = ?", [group, stream]
        ) { _ in true }
        guard !exists.isEmpty else {
            throw StoreError(.notFound, "The log stream \(stream) does not exist in \(group).")
        }
    }
}
