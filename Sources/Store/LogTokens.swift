/// A place in a stream's or group's event order, which is by timestamp and then by
/// event id (the order events arrived in), so equal timestamps still page exactly.
struct EventPosition: Equatable {
    var timestampMilliseconds: Int64
    var eventId: Int64

    static let beforeAll = EventPosition(timestampMilliseconds: .min, eventId: .min)
    static let afterAll = EventPosition(timestampMilliseconds: .max, eventId: .max)

    /// Parses "<timestamp>/<event id>".
    init?(token: Substring) {
        let parts = token.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let timestamp = Int64(parts[0]), let id = Int64(parts[1]) else { return nil }
        self.init(timestampMilliseconds: timestamp, eventId: id)
    }

    init(timestampMilliseconds: Int64, eventId: Int64) {
        self.timestampMilliseconds = timestampMilliseconds
        self.eventId = eventId
    }

    var token: String { "\(timestampMilliseconds)/\(eventId)" }
}

/// A GetLogEvents-style token: a direction and the position to page from, written
/// "f/<timestamp>/<event id>" (newer events) or "b/<timestamp>/<event id>" (older events).
struct EventPageToken: Equatable {
    enum Direction { case forward, backward }

    var direction: Direction
    var position: EventPosition

    init(_ direction: Direction, _ position: EventPosition) {
        self.direction = direction
        self.position = position
    }

    /// Parses a token; throws `.invalidArgument` for anything the store did not hand out.
    init(parsing token: String) throws(StoreError) {
        let direction: Direction
        if token.hasPrefix("f/") {
            direction = .forward
        } else if token.hasPrefix("b/") {
            direction = .backward
        } else {
            throw StoreError(.invalidArgument, "The next token \(token) is not valid.")
        }
        guard let position = EventPosition(token: token.dropFirst(2)) else {
            throw StoreError(.invalidArgument, "The next token \(token) is not valid.")
        }
        self.init(direction, position)
    }

    var string: String { (direction == .forward ? "f/" : "b/") + position.token }
}

/// A DescribeLogStreams token: the last stream's sort key and name, "<key>/<name>".
struct StreamPageToken: Equatable {
    var sortKey: Int64
    var name: String

    init(sortKey: Int64, name: String) {
        self.sortKey = sortKey
        self.name = name
    }

    init(parsing token: String) throws(StoreError) {
        guard let slash = token.firstIndex(of: "/"), let key = Int64(token[..<slash]) else {
            throw StoreError(.invalidArgument, "The next token \(token) is not valid.")
        }
        self.init(sortKey: key, name: String(token[token.index(after: slash)...]))
    }

    var string: String { "\(sortKey)/\(name)" }
}
