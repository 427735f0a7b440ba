private let millisecondsPerDay: Int64 = 86_400_000

extension SQLiteStore {
    @discardableResult
    public func applyRetention(
        maxEventsPerGroup: Int, olderThanMilliseconds: Int64?
    ) throws(StoreError) -> Int {
        let groups = try withLogDatabase { database throws(StoreError) in
            try database.query("SELECT name, retention_days FROM log_groups") { row in
                (name: row.text(0), retentionDays: row.optionalInt64(1))
            }
        }
        let current = now()
        var deleted = 0
        // One transaction per group, so appends to other groups are not held up for long.
        for group in groups {
            let retentionCutoff = group.retentionDays.map { current - $0 * millisecondsPerDay }
            let cutoff = [olderThanMilliseconds, retentionCutoff].compactMap { $0 }.max()
            deleted += try trim(group.name, before: cutoff, keeping: max(0, maxEventsPerGroup))
        }
        return deleted
    }

    /// Deletes one group's events before `cutoff` and beyond its newest `count`, then
    /// recomputes its streams' sizes and first event times.
    private func trim(_ group: String, before cutoff: Int64?, keeping count: Int) throws(StoreError) -> Int {
        try withLogDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> Int in
                var deleted = 0
                if let cutoff {
                    deleted += try database.run(
                        "DELETE FROM log_events WHERE group_name = ? AND timestamp_ms < ?", [group, cutoff])
                }
                deleted += try database.run(
                    """
                    DELETE FROM log_events WHERE id IN (
                        SELECT id FROM log_events WHERE group_name = ?1
                        ORDER BY timestamp_ms DESC, id DESC LIMIT -1 OFFSET ?2)
                    """,
                    [group, count]
                )
                if deleted > 0 { try refreshStreamStatistics(group, database) }
                return deleted
            }
        }
    }

    private func refreshStreamStatistics(_ group: String, _ database: SQLiteDatabase) throws(StoreError) {
        try database.run(
            """
            UPDATE log_streams SET
                stored_bytes = (SELECT coalesce(sum(length(CAST(message AS BLOB))), 0) FROM log_events e
                    WHERE e.group_name = log_streams.group_name AND e.stream_name = log_streams.name),
                first_event_ms = (SELECT min(timestamp_ms) FROM log_events e
                    WHERE e.group_name = log_streams.group_name AND e.stream_name = log_streams.name)
            WHERE group_name = ?
            """,
            [group]
        )
    }
}
