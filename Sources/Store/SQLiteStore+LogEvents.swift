import Foundation

/// The most message bytes (plus 26 per event, as CloudWatch counts) one page of events holds.
let maximumLogPageBytes = 1_048_576
private let logEventOverheadBytes = 26

extension SQLiteStore {
    public func appendLogEvents(group: String, stream: String, events: [LogEvent]) throws(StoreError) {
        let ingested = now()
        try withLogDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                try database.run(
                    "INSERT OR IGNORE INTO log_groups (name, created_ms) VALUES (?, ?)", [group, ingested])
                try database.run(
                    "INSERT OR IGNORE INTO log_streams (group_name, name, created_ms) VALUES (?, ?, ?)",
                    [group, stream, ingested]
                )
                guard !events.isEmpty else { return }
                for event in events {
                    try database.run(
                        """
                        INSERT INTO log_events (group_name, stream_name, timestamp_ms, ingestion_ms, message)
                        VALUES (?, ?, ?, ?, ?)
                        """,
                        [group, stream, event.timestampMilliseconds, ingested, event.message]
                    )
                }
                try recordAppend(events, group: group, stream: stream, ingested: ingested, database)
            }
        }
    }

    /// Folds a batch into its stream's first and last event times, ingestion time and size.
    private func recordAppend(
        _ events: [LogEvent], group: String, stream: String, ingested: Int64, _ database: SQLiteDatabase
    ) throws(StoreError) {
        let timestamps = events.map(\.timestampMilliseconds)
        let bytes = events.reduce(0) { $0 + $1.message.utf8.count }
        try database.run(
            """
            UPDATE log_streams SET
                first_event_ms = min(coalesce(first_event_ms, ?1), ?1),
                last_event_ms = max(coalesce(last_event_ms, ?2), ?2),
                last_ingestion_ms = ?3,
                stored_bytes = stored_bytes + ?4
            WHERE group_name = ?5 AND name = ?6
            """,
            [timestamps.min(), timestamps.max(), ingested, bytes, group, stream]
        )
    }

    public func logEvents(
        group: String, stream: String, startMilliseconds: Int64?, endMilliseconds: Int64?,
        startFromHead: Bool, limit: Int, token: String?
    ) throws(StoreError) -> LogEventsPage {
        let given = try token.map { token throws(StoreError) in try EventPageToken(parsing: token) }
        let from =
            given
            ?? EventPageToken(
                startFromHead ? .forward : .backward, startFromHead ? .beforeAll : .afterAll)
        let values: [any SQLiteBindable] = [
            group, stream, startMilliseconds ?? .min, endMilliseconds ?? .max,
            from.position.timestampMilliseconds, from.position.eventId, max(1, limit),
        ]
        var page = try withLogDatabase { database throws(StoreError) in
            try requireStream(group, stream, database)
            let sql = from.direction == .forward ? Self.eventsForwardSQL : Self.eventsBackwardSQL
            return try collectEvents(sql, values, limit: max(1, limit), database) { row in
                Self.event(row, stream: stream, columns: (id: 0, timestamp: 1, ingestion: 2, message: 3))
            }
        }
        // Backward pages are read newest first, from the token outward.
        if from.direction == .backward { page.events.reverse() }
        return Self.eventTokens(page.events, given: given)
    }

    private static let eventsForwardSQL = """
        SELECT id, timestamp_ms, ingestion_ms, message FROM log_events
        WHERE group_name = ?1 AND stream_name = ?2 AND timestamp_ms >= ?3 AND timestamp_ms < ?4
            AND (timestamp_ms, id) > (?5, ?6)
        ORDER BY timestamp_ms ASC, id ASC LIMIT ?7
        """

    private static let eventsBackwardSQL = """
        SELECT id, timestamp_ms, ingestion_ms, message FROM log_events
        WHERE group_name = ?1 AND stream_name = ?2 AND timestamp_ms >= ?3 AND timestamp_ms < ?4
            AND (timestamp_ms, id) < (?5, ?6)
        ORDER BY timestamp_ms DESC, id DESC LIMIT ?7
        """

    /// The tokens for a page: just past its newest and oldest events; or, for an empty
    /// page, the given token again (and its opposite), which AWS clients read as the end.
    private static func eventTokens(_ events: [PositionedEvent], given: EventPageToken?) -> LogEventsPage {
        guard let first = events.first, let last = events.last else {
            let position = given?.position ?? .beforeAll
            return (
                events: [],
                nextForwardToken: EventPageToken(.forward, position).string,
                nextBackwardToken: EventPageToken(.backward, position).string
            )
        }
        return (
            events: events.map(\.event),
            nextForwardToken: EventPageToken(.forward, last.position).string,
            nextBackwardToken: EventPageToken(.backward, first.position).string
        )
    }

    public func filterLogEvents(
        group: String, streamNames: [String]?, startMilliseconds: Int64?, endMilliseconds: Int64?,
        terms: [String], limit: Int, token: String?
    ) throws(StoreError) -> FilteredLogEventsPage {
        let from = try token.map { token throws(StoreError) in
            guard let position = EventPosition(token: Substring(token)) else {
                throw StoreError(.invalidArgument, "The next token \(token) is not valid.")
            }
            return position
        }
        let streams = try streamNames.map { names throws(StoreError) in try jsonArray(names) }
        let values: [any SQLiteBindable] = [
            group, startMilliseconds ?? .min, endMilliseconds ?? .max,
            (from ?? .beforeAll).timestampMilliseconds, (from ?? .beforeAll).eventId,
            streams, try jsonArray(terms), max(1, limit) + 1,
        ]
        let page = try withLogDatabase { database throws(StoreError) in
            try requireGroup(group, database)
            return try collectEvents(Self.filterSQL, values, limit: max(1, limit), database) { row in
                Self.event(row, stream: row.text(1), columns: (id: 0, timestamp: 2, ingestion: 3, message: 4))
            }
        }
        let next = page.more ? page.events.last?.position.token : nil
        return (events: page.events.map(\.event), nextToken: next)
    }

    /// Stream names and terms arrive as JSON arrays, so one cached statement serves any number.
    private static let filterSQL = """
        SELECT id, stream_name, timestamp_ms, ingestion_ms, message FROM log_events
        WHERE group_name = ?1 AND timestamp_ms >= ?2 AND timestamp_ms <= ?3
            AND (timestamp_ms, id) > (?4, ?5)
            AND (?6 IS NULL OR stream_name IN (SELECT value FROM json_each(?6)))
            AND NOT EXISTS (SELECT 1 FROM json_each(?7) WHERE instr(message, value) = 0)
        ORDER BY timestamp_ms, id LIMIT ?8
        """

    /// An event with the place it holds in event order.
    private struct PositionedEvent {
        var event: StoredLogEvent
        var position: EventPosition
    }

    private static func event(
        _ row: SQLiteRow, stream: String,
        columns: (id: Int32, timestamp: Int32, ingestion: Int32, message: Int32)
    ) -> PositionedEvent {
        let position = EventPosition(
            timestampMilliseconds: row.int64(columns.timestamp), eventId: row.int64(columns.id))
        let event = StoredLogEvent(
            eventId: String(position.eventId), streamName: stream,
            timestampMilliseconds: position.timestampMilliseconds,
            ingestionMilliseconds: row.int64(columns.ingestion), message: row.text(columns.message)
        )
        return PositionedEvent(event: event, position: position)
    }

    /// Reads up to `limit` events, stopping early once a page's byte budget is spent.
    ///
    /// - Returns: The events, and whether rows were left unread.
    private func collectEvents(
        _ sql: String, _ values: [any SQLiteBindable], limit: Int, _ database: SQLiteDatabase,
        _ transform: (SQLiteRow) -> PositionedEvent
    ) throws(StoreError) -> (events: [PositionedEvent], more: Bool) {
        var events: [PositionedEvent] = []
        var bytes = 0
        var more = false
        try database.iterate(sql, values) { row throws(StoreError) in
            let event = transform(row)
            let size = event.event.message.utf8.count + logEventOverheadBytes
            if events.count == limit || (!events.isEmpty && bytes + size > maximumLogPageBytes) {
                more = true
                return false
            }
            events.append(event)
            bytes += size
            return true
        }
        return (events, more)
    }

    private func jsonArray(_ strings: [String]) throws(StoreError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(strings), as: UTF8.self)
        } catch {
            throw StoreError(.invalidArgument, "The values cannot be encoded: \(error).")
        }
    }
}
