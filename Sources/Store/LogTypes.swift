/// One log line as a function or client hands it to the store.
public struct LogEvent: Sendable, Equatable {
    /// When the event happened, in milliseconds since the Unix epoch.
    public var timestampMilliseconds: Int64
    public var message: String

    public init(timestampMilliseconds: Int64, message: String) {
        self.timestampMilliseconds = timestampMilliseconds
        self.message = message
    }
}

/// A log event as stored, with the identity and ingestion time the store gave it.
public struct StoredLogEvent: Sendable, Equatable {
    /// The store's identifier for the event, unique across all groups and never reused.
    public var eventId: String
    public var streamName: String
    public var timestampMilliseconds: Int64
    /// When the store received the event, in milliseconds since the Unix epoch.
    public var ingestionMilliseconds: Int64
    public var message: String

    public init(
        eventId: String, streamName: String, timestampMilliseconds: Int64, ingestionMilliseconds: Int64,
        message: String
    ) {
        self.eventId = eventId
        self.streamName = streamName
        self.timestampMilliseconds = timestampMilliseconds
        self.ingestionMilliseconds = ingestionMilliseconds
        self.message = message
    }
}

/// A log group as listed.
public struct LogGroupInfo: Sendable, Equatable {
    public var name: String
    public var createdMilliseconds: Int64
    /// Days events are kept, or nil to keep them until other retention limits apply.
    public var retentionDays: Int?
    /// The UTF-8 bytes of all messages in the group's streams.
    public var storedBytes: Int64

    public init(name: String, createdMilliseconds: Int64, retentionDays: Int?, storedBytes: Int64) {
        self.name = name
        self.createdMilliseconds = createdMilliseconds
        self.retentionDays = retentionDays
        self.storedBytes = storedBytes
    }
}

/// A log stream as listed.
public struct LogStreamInfo: Sendable, Equatable {
    public var name: String
    public var createdMilliseconds: Int64
    /// The earliest event timestamp still stored, or nil when the stream has no events.
    public var firstEventMilliseconds: Int64?
    /// The latest event timestamp ever appended, or nil when none was.
    public var lastEventMilliseconds: Int64?
    /// When events were last appended, or nil when none were.
    public var lastIngestionMilliseconds: Int64?
    /// The UTF-8 bytes of the stream's stored messages.
    public var storedBytes: Int64

    public init(
        name: String, createdMilliseconds: Int64, firstEventMilliseconds: Int64?,
        lastEventMilliseconds: Int64?, lastIngestionMilliseconds: Int64?, storedBytes: Int64
    ) {
        self.name = name
        self.createdMilliseconds = createdMilliseconds
        self.firstEventMilliseconds = firstEventMilliseconds
        self.lastEventMilliseconds = lastEventMilliseconds
        self.lastIngestionMilliseconds = lastIngestionMilliseconds
        self.storedBytes = storedBytes
    }
}

/// One page of a stream's events, oldest first, with tokens to page either way.
///
/// A token equal to the one passed in means there is nothing further that way, as on AWS.
public typealias LogEventsPage = (
    events: [StoredLogEvent], nextForwardToken: String, nextBackwardToken: String
)

/// One page of events matching a filter across a group's streams, oldest first.
public typealias FilteredLogEventsPage = (events: [StoredLogEvent], nextToken: String?)

/// One page of a group's streams.
public typealias LogStreamsPage = (streams: [LogStreamInfo], nextToken: String?)

/// A blob's key and size, as `putBlob` reports them.
public typealias BlobInfo = (sha256Hex: String, sha256Base64: String, size: Int)
