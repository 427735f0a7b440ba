import Foundation
import Store
import Testing

private let group = "/aws/lambda/hello"
private let stream = "2024/01/01/[$LATEST]abc"

/// Appends events with timestamps 1000, 1001, ... carrying messages "event 0", "event 1", ...
private func appendNumbered(_ store: SQLiteStore, count: Int, stream name: String = stream) throws {
    try append(store, (0..<count).map { (1_000 + Int64($0), "event \($0)") }, stream: name)
}

/// Appends (timestamp, message) pairs to a stream.
private func append(
    _ store: SQLiteStore, _ events: [(Int64, String)], stream name: String = stream,
    group groupName: String = group
) throws {
    let events = events.map { LogEvent(timestampMilliseconds: $0.0, message: $0.1) }
    try store.appendLogEvents(group: groupName, stream: name, events: events)
}

private func messages(_ page: LogEventsPage) -> [String] { page.events.map(\.message) }

/// GetLogEvents on the test stream, from the head unless told otherwise.
private func readEvents(
    _ store: SQLiteStore, fromHead: Bool = true, start: Int64? = nil, end: Int64? = nil, limit: Int = 100,
    token: String? = nil, stream name: String = stream
) throws -> LogEventsPage {
    try store.logEvents(
        group: group, stream: name, startMilliseconds: start, endMilliseconds: end, startFromHead: fromHead,
        limit: limit, token: token)
}

/// DescribeLogStreams on the test group, by name unless told otherwise.
private func listStreams(
    _ store: SQLiteStore, in groupName: String = group, prefix: String? = nil, byLastEvent: Bool = false,
    descending: Bool = false, token: String? = nil, limit: Int = 100
) throws -> LogStreamsPage {
    try store.logStreams(
        group: groupName, prefix: prefix, orderByLastEvent: byLastEvent, descending: descending, after: token,
        limit: limit)
}

/// Every event in the test group, oldest first.
private func allEvents(_ store: SQLiteStore) throws -> [StoredLogEvent] {
    try store.filterLogEvents(
        group: group, streamNames: nil, startMilliseconds: nil, endMilliseconds: nil, terms: [],
        limit: 10_000, token: nil
    ).events
}

private func numbered(_ range: Range<Int>) -> [String] { range.map { "event \($0)" } }

@Suite("Log groups and streams")
struct LogGroupTests {
    @Test("appending creates the group and stream and records their sizes and times")
    func appendCreates() throws {
        let clock = TestClock()
        try withStore(clock: clock) { store, _ in
            try store.appendLogEvents(
                group: group, stream: stream,
                events: [
                    LogEvent(timestampMilliseconds: 50, message: "héllo"),
                    LogEvent(timestampMilliseconds: 20, message: "abc"),
                ])

            let groups = try store.logGroups(prefix: nil, after: nil, limit: 10)
            let expected = LogGroupInfo(
                name: group, createdMilliseconds: clock.now, retentionDays: nil, storedBytes: 9)
            #expect(groups == [expected])
            let streams = try listStreams(store, limit: 10)
            #expect(
                streams.streams == [
                    LogStreamInfo(
                        name: stream, createdMilliseconds: clock.now, firstEventMilliseconds: 20,
                        lastEventMilliseconds: 50, lastIngestionMilliseconds: clock.now, storedBytes: 9)
                ])
            #expect(streams.nextToken == nil)
        }
    }

    @Test("groups page by name and filter by prefix")
    func groupPaging() throws {
        try withStore { store, _ in
            for name in ["/aws/lambda/b", "/aws/lambda/a", "/custom/c", "/aws/lambda/c"] {
                try store.ensureLogGroup(name)
            }
            try store.ensureLogGroup("/aws/lambda/a")

            let first = try store.logGroups(prefix: "/aws/lambda/", after: nil, limit: 2).map(\.name)
            let second = try store.logGroups(prefix: "/aws/lambda/", after: first.last, limit: 2).map(\.name)

            #expect(first == ["/aws/lambda/a", "/aws/lambda/b"])
            #expect(second == ["/aws/lambda/c"])
            #expect(try store.logGroups(prefix: "/nothing", after: nil, limit: 10).isEmpty)
        }
    }

    @Test("creating an existing group or stream is a conflict; a stream needs its group")
    func explicitCreation() throws {
        try withStore { store, _ in
            let missingGroup = #expect(throws: StoreError.self) {
                try store.createLogStream(group: "g", stream: "s")
            }
            try store.createLogGroup("g")
            let duplicateGroup = #expect(throws: StoreError.self) { try store.createLogGroup("g") }
            try store.createLogStream(group: "g", stream: "s")
            let duplicateStream = #expect(throws: StoreError.self) {
                try store.createLogStream(group: "g", stream: "s")
            }

            #expect(missingGroup?.code == .notFound)
            #expect(duplicateGroup?.code == .conflict)
            #expect(duplicateStream?.code == .conflict)
        }
    }

    @Test("retention is set on existing groups only")
    func retentionSetting() throws {
        try withStore { store, _ in
            try store.ensureLogGroup("g")
            try store.setLogRetention(group: "g", days: 7)
            #expect(try store.logGroups(prefix: "g", after: nil, limit: 1).first?.retentionDays == 7)

            let error = #expect(throws: StoreError.self) {
                try store.setLogRetention(group: "missing", days: 1)
            }
            #expect(error?.code == .notFound)
        }
    }

    @Test(
        "streams page in each order",
        arguments: [(false, false), (false, true), (true, false), (true, true)]
    )
    func streamPaging(orderByLastEvent: Bool, descending: Bool) throws {
        try withStore { store, _ in
            // Names ascend while last event times descend, so the two orders differ.
            for index in 0..<7 {
                try store.appendLogEvents(
                    group: group, stream: "stream-\(index)",
                    events: [LogEvent(timestampMilliseconds: 100 - Int64(index), message: "x")])
            }
            var names: [String] = []
            var token: String?
            repeat {
                let page = try listStreams(
                    store, byLastEvent: orderByLastEvent, descending: descending, token: token, limit: 3)
                names += page.streams.map(\.name)
                token = page.nextToken
            } while token != nil

            let byName = (0..<7).map { "stream-\($0)" }
            let expected = orderByLastEvent ? byName.reversed() : byName
            #expect(names == (descending ? expected.reversed() : expected))
        }
    }

    @Test("streams filter by prefix")
    func streamPrefix() throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 1, stream: "2024/01/01/a")
            try appendNumbered(store, count: 1, stream: "2024/01/02/b")
            let page = try listStreams(store, prefix: "2024/01/02", limit: 10)
            #expect(page.streams.map(\.name) == ["2024/01/02/b"])
        }
    }

    @Test("listing streams of a missing group is not found; a bad token is invalid")
    func streamErrors() throws {
        try withStore { store, _ in
            let missing = #expect(throws: StoreError.self) {
                try listStreams(store, in: "nope", limit: 1)
            }
            try store.ensureLogGroup(group)
            let invalid = #expect(throws: StoreError.self) {
                try listStreams(store, token: "junk", limit: 1)
            }
            #expect(missing?.code == .notFound)
            #expect(invalid?.code == .invalidArgument)
        }
    }

    @Test("deleting a group removes its streams and events")
    func deleteGroup() throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 5)

            #expect(try store.deleteLogGroup(group))
            #expect(try !store.deleteLogGroup(group))

            try store.ensureLogGroup(group)
            let page = try allEvents(store)
            #expect(page.isEmpty)
        }
    }

    @Test("deleting a stream removes its events and keeps its siblings")
    func deleteStream() throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 2, stream: "a")
            try appendNumbered(store, count: 3, stream: "b")

            #expect(try store.deleteLogStream(group: group, stream: "a"))
            #expect(try !store.deleteLogStream(group: group, stream: "a"))

            let page = try allEvents(store)
            #expect(page.map(\.streamName) == ["b", "b", "b"])
        }
    }

    @Test("logs survive reopening the store")
    func persistence() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try appendNumbered(try SQLiteStore(dataDirectory: directory.path), count: 3)

        let reopened = try SQLiteStore(dataDirectory: directory.path)
        let page = try readEvents(reopened)

        #expect(messages(page) == numbered(0..<3))
    }
}

@Suite("Reading a stream's events")
struct LogEventsTests {
    @Test("reading forward from the head pages to the end, then returns the same token")
    func forwardPaging() throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 25)
            var seen: [String] = []
            var token: String?
            var pages = 0
            while true {
                let page = try readEvents(store, limit: 10, token: token)
                pages += 1
                seen += messages(page)
                if page.nextForwardToken == token { break }
                token = page.nextForwardToken
            }

            #expect(seen == numbered(0..<25))
            #expect(pages == 4)
        }
    }

    @Test("reading from the tail returns the newest events and pages backward to the start")
    func backwardPaging() throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 25)
            let newest = try readEvents(store, fromHead: false, limit: 10)
            #expect(messages(newest) == numbered(15..<25))

            var seen = messages(newest)
            var token = newest.nextBackwardToken
            while true {
                let page = try readEvents(store, fromHead: false, limit: 10, token: token)
                seen = messages(page) + seen
                if page.nextBackwardToken == token { break }
                token = page.nextBackwardToken
            }

            #expect(seen == numbered(0..<25))
        }
    }

    @Test("a forward token picks up events appended later")
    func tailing() throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 3)
            let first = try readEvents(store)
            try append(store, [(5_000, "later")])

            let next = try readEvents(store, token: first.nextForwardToken)

            #expect(messages(next) == ["later"])
        }
    }

    @Test("an empty stream still hands out tokens")
    func emptyStream() throws {
        try withStore { store, _ in
            try store.appendLogEvents(group: group, stream: stream, events: [])
            let page = try readEvents(store, fromHead: false, limit: 10)
            #expect(page.events.isEmpty)
            #expect(page.nextForwardToken.hasPrefix("f/"))
            #expect(page.nextBackwardToken.hasPrefix("b/"))
        }
    }

    @Test("the time range includes its start and excludes its end")
    func timeRange() throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 10)
            let page = try readEvents(store, start: 1_002, end: 1_005)
            #expect(messages(page) == numbered(2..<5))
        }
    }

    @Test("events with equal timestamps page without loss or repetition")
    func equalTimestamps() throws {
        try withStore { store, _ in
            let events = (0..<7).map { LogEvent(timestampMilliseconds: 42, message: "event \($0)") }
            try store.appendLogEvents(group: group, stream: stream, events: events)
            var seen: [String] = []
            var token: String?
            while true {
                let page = try readEvents(store, limit: 2, token: token)
                seen += messages(page)
                if page.nextForwardToken == token { break }
                token = page.nextForwardToken
            }
            #expect(seen == numbered(0..<7))
        }
    }

    @Test("out-of-order appends read back in timestamp order")
    func timestampOrder() throws {
        try withStore { store, _ in
            try append(store, [(30, "c")])
            try append(store, [(10, "a"), (20, "b")])
            let page = try readEvents(store, limit: 10)
            #expect(messages(page) == ["a", "b", "c"])
        }
    }

    @Test("a page stops at about a megabyte of messages")
    func byteBudget() throws {
        try withStore { store, _ in
            let big = String(repeating: "x", count: 300_000)
            let events = (0..<5).map { LogEvent(timestampMilliseconds: Int64($0), message: big) }
            try store.appendLogEvents(group: group, stream: stream, events: events)

            let first = try readEvents(store)
            let second = try readEvents(store, token: first.nextForwardToken)

            #expect(first.events.count == 3)
            #expect(second.events.count == 2)
        }
    }

    @Test("reading a missing stream is not found")
    func missingStream() throws {
        try withStore { store, _ in
            try store.ensureLogGroup(group)
            let error = #expect(throws: StoreError.self) {
                try readEvents(store, limit: 10, stream: "missing")
            }
            #expect(error?.code == .notFound)
        }
    }

    @Test(
        "malformed tokens are invalid",
        arguments: ["", "x", "f/", "f/1", "f/a/b", "z/1/2", "b/1/2/3", "1/2"]
    )
    func malformedToken(token: String) throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 1)
            let error = #expect(throws: StoreError.self) {
                try readEvents(store, limit: 10, token: token)
            }
            #expect(error?.code == .invalidArgument)
        }
    }
}

@Suite("Filtering a group's events")
struct FilterLogEventsTests {
    private func filter(
        _ store: SQLiteStore, streams: [String]? = nil, start: Int64? = nil, end: Int64? = nil,
        terms: [String] = [], limit: Int = 100, token: String? = nil
    ) throws -> FilteredLogEventsPage {
        try store.filterLogEvents(
            group: group, streamNames: streams, startMilliseconds: start, endMilliseconds: end, terms: terms,
            limit: limit, token: token)
    }

    @Test(
        "every term must appear, case-sensitively",
        arguments: [
            ([], ["START RequestId", "ERROR boom", "error minor", "END RequestId"]),
            (["RequestId"], ["START RequestId", "END RequestId"]),
            (["ERROR"], ["ERROR boom"]),
            (["error"], ["error minor"]),
            (["ERROR", "boom"], ["ERROR boom"]),
            (["ERROR", "minor"], []),
        ] as [([String], [String])]
    )
    func terms(terms: [String], expected: [String]) throws {
        try withStore { store, _ in
            let lines = ["START RequestId", "ERROR boom", "error minor", "END RequestId"]
            try append(store, lines.enumerated().map { (Int64($0.offset), $0.element) })

            #expect(try filter(store, terms: terms).events.map(\.message) == expected)
        }
    }

    @Test("events interleave across streams by time and carry their stream and id")
    func acrossStreams() throws {
        try withStore { store, _ in
            try append(store, [(1, "a1"), (3, "a3")], stream: "a")
            try append(store, [(2, "b2")], stream: "b")
            try append(store, [(4, "c4")], stream: "c")

            let all = try filter(store).events
            let some = try filter(store, streams: ["a", "c"]).events

            #expect(all.map(\.message) == ["a1", "b2", "a3", "c4"])
            #expect(all.map(\.streamName) == ["a", "b", "a", "c"])
            #expect(Set(all.map(\.eventId)).count == 4)
            #expect(some.map(\.message) == ["a1", "a3", "c4"])
            #expect(try filter(store, streams: []).events.isEmpty)
        }
    }

    @Test("the time range includes both ends")
    func timeRange() throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 10)
            #expect(try filter(store, start: 1_002, end: 1_005).events.map(\.message) == numbered(2..<6))
        }
    }

    @Test("pages follow the token and the last page has none")
    func paging() throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 10)
            var seen: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let page = try filter(store, limit: 4, token: token)
                seen += page.events.map(\.message)
                token = page.nextToken
                pages += 1
            } while token != nil

            #expect(seen == numbered(0..<10))
            #expect(pages == 3)
        }
    }

    @Test("filtering a missing group is not found; a bad token is invalid")
    func errors() throws {
        try withStore { store, _ in
            let missing = #expect(throws: StoreError.self) { try filter(store) }
            try store.ensureLogGroup(group)
            let invalid = #expect(throws: StoreError.self) { try filter(store, token: "f/1/2") }
            #expect(missing?.code == .notFound)
            #expect(invalid?.code == .invalidArgument)
        }
    }
}

@Suite("Log retention")
struct LogRetentionTests {
    @Test("each group keeps only its newest events")
    func maxEventsPerGroup() throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 10, stream: "a")
            try append(store, [(1, "keep")], stream: "s", group: "other")

            #expect(try store.applyRetention(maxEventsPerGroup: 4, olderThanMilliseconds: nil) == 6)

            let remaining = try allEvents(store)
            #expect(remaining.map(\.message) == numbered(6..<10))
            let info = try listStreams(store, limit: 1).streams.first
            #expect(info?.firstEventMilliseconds == 1_006)
            #expect(info?.storedBytes == 4 * Int64("event 0".utf8.count))
            #expect(try store.logGroups(prefix: "other", after: nil, limit: 1).first?.storedBytes == 4)
        }
    }

    @Test("events before the cutoff are deleted")
    func cutoff() throws {
        try withStore { store, _ in
            try appendNumbered(store, count: 10)

            #expect(try store.applyRetention(maxEventsPerGroup: 1_000, olderThanMilliseconds: 1_007) == 7)
            #expect(try store.applyRetention(maxEventsPerGroup: 1_000, olderThanMilliseconds: 1_007) == 0)
        }
    }

    @Test("a group's retention in days applies against the clock")
    func retentionDays() throws {
        let clock = TestClock()
        try withStore(clock: clock) { store, _ in
            let day: Int64 = 86_400_000
            try store.appendLogEvents(
                group: group, stream: stream,
                events: [
                    LogEvent(timestampMilliseconds: clock.now - 3 * day, message: "old"),
                    LogEvent(timestampMilliseconds: clock.now - day / 2, message: "new"),
                ])
            try append(store, [(0, "ancient")], group: "forever")
            try store.setLogRetention(group: group, days: 1)

            #expect(try store.applyRetention(maxEventsPerGroup: 1_000, olderThanMilliseconds: nil) == 1)

            let page = try readEvents(store, limit: 10)
            #expect(messages(page) == ["new"])
        }
    }
}
