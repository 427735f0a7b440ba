import Foundation

extension SQLiteStore: AsyncEventStore {
    /// Commits with full sync: the caller answers 202 once this returns.
    public func enqueueAsyncEvents(_ events: [AsyncEvent]) throws(StoreError) -> [AsyncEvent] {
        try withQueueDatabase { database throws(StoreError) in
            try database.execute("PRAGMA synchronous = FULL;")
            defer { try? database.execute("PRAGMA synchronous = NORMAL;") }
            return try database.transaction { () throws(StoreError) -> [AsyncEvent] in
                try insert(events, into: database)
            }
        }
    }

    public func allAsyncEvents() throws(StoreError) -> [AsyncEvent] {
        try withQueueDatabase { database throws(StoreError) in
            try database.query(
                """
                SELECT id, request_id, function_name, qualifier, payload, enqueued_ms, attempts, next_attempt_ms
                FROM async_events ORDER BY id
                """
            ) { row in
                AsyncEvent(
                    id: row.int64(0), requestId: row.text(1), functionName: row.text(2), qualifier: row.text(3),
                    payload: row.blob(4), enqueuedMilliseconds: row.int64(5), attempts: row.int(6),
                    nextAttemptMilliseconds: row.int64(7))
            }
        }
    }

    /// Commits with `synchronous=NORMAL`: a completion lost to a power failure means the
    /// event is delivered again (at least once), and the follow-ups are lost with it, atomically.
    public func completeAsyncEvent(id: Int64, enqueueing followUps: [AsyncEvent]) throws(StoreError) -> [AsyncEvent] {
        try withQueueDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> [AsyncEvent] in
                try database.run("DELETE FROM async_events WHERE id = ?", [id])
                return try insert(followUps, into: database)
            }
        }
    }

    public func completeAsyncEvents(_ completions: [AsyncCompletion]) throws(StoreError) -> [[AsyncEvent]] {
        try withQueueDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> [[AsyncEvent]] in
                var stored: [[AsyncEvent]] = []
                stored.reserveCapacity(completions.count)
                for completion in completions {
                    try database.run("DELETE FROM async_events WHERE id = ?", [completion.id])
                    stored.append(try insert(completion.followUps, into: database))
                }
                return stored
            }
        }
    }

    public func rescheduleAsyncEvent(id: Int64, attempts: Int, nextAttemptMilliseconds: Int64) throws(StoreError) {
        try withQueueDatabase { database throws(StoreError) in
            try database.run(
                "UPDATE async_events SET attempts = ?, next_attempt_ms = ? WHERE id = ?",
                [attempts, nextAttemptMilliseconds, id])
        }
    }

    public func putEventInvokeConfig(_ config: EventInvokeConfigRecord) throws(StoreError) {
        let json = try encodeConfig(config)
        try withDatabase { database throws(StoreError) in
            try database.run(
                """
                INSERT INTO event_invoke_configs (function_name, qualifier, config, last_modified_ms)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (function_name, qualifier) DO UPDATE SET
                    config = excluded.config, last_modified_ms = excluded.last_modified_ms
                """,
                [config.functionName, config.qualifier, json, config.lastModifiedMilliseconds])
        }
    }

    public func eventInvokeConfig(
        functionName: String, qualifier: String
    ) throws(StoreError) -> EventInvokeConfigRecord? {
        let json = try withDatabase { database throws(StoreError) in
            try database.query(
                "SELECT config FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
                [functionName, qualifier]
            ) { $0.text(0) }.first
        }
        return try json.map { json throws(StoreError) in try decodeConfig(json) }
    }

    public func eventInvokeConfigs(functionName: String) throws(StoreError) -> [EventInvokeConfigRecord] {
        let rows = try withDatabase { database throws(StoreError) in
            try database.query(
                "SELECT config FROM event_invoke_configs WHERE function_name = ? ORDER BY qualifier",
                [functionName]
            ) { $0.text(0) }
        }
        return try rows.map { json throws(StoreError) in try decodeConfig(json) }
    }

    @discardableResult
    public func deleteEventInvokeConfig(functionName: String, qualifier: String) throws(StoreError) -> Bool {
        try withDatabase { database throws(StoreError) in
            try database.run(
                "DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
                [functionName, qualifier]) > 0
        }
    }

    private func insert(_ events: [AsyncEvent], into database: SQLiteDatabase) throws(StoreError) -> [AsyncEvent] {
        var stored: [AsyncEvent] = []
        stored.reserveCapacity(events.count)
        for var event in events {
            try database.run(
                """
                INSERT INTO async_events
                    (request_id, function_name, qualifier, payload, enqueued_ms, attempts, next_attempt_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    event.requestId, event.functionName, event.qualifier, event.payload, event.enqueuedMilliseconds,
                    event.attempts, event.nextAttemptMilliseconds,
                ])
            event.id = database.lastInsertRowID
            stored.append(event)
        }
        return stored
    }

    private func encodeConfig(_ config: EventInvokeConfigRecord) throws(StoreError) -> String {
        guard let data = try? JSONEncoder().encode(config) else {
            throw StoreError(.invalidArgument, "Could not encode the event invoke config.")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func decodeConfig(_ json: String) throws(StoreError) -> EventInvokeConfigRecord {
        guard let config = try? JSONDecoder().decode(EventInvokeConfigRecord.self, from: Data(json.utf8)) else {
            throw StoreError(.corrupt, "A stored event invoke config could not be decoded.")
        }
        return config
    }
}
