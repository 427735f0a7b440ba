/// An asynchronous invocation waiting in the queue.
public struct AsyncEvent: Sendable, Equatable {
    /// The queue's own key, assigned when the event is stored (0 before).
    public var id: Int64
    /// The request id the caller got; kept across retries so functions can be idempotent.
    public var requestId: String
    public var functionName: String
    /// `$LATEST`, a version or an alias, as the caller invoked it.
    public var qualifier: String
    public var payload: [UInt8]
    public var enqueuedMilliseconds: Int64
    /// Invocations made so far.
    public var attempts: Int
    public var nextAttemptMilliseconds: Int64

    public init(
        id: Int64 = 0, requestId: String, functionName: String, qualifier: String, payload: [UInt8],
        enqueuedMilliseconds: Int64, attempts: Int = 0, nextAttemptMilliseconds: Int64
    ) {
        self.id = id
        self.requestId = requestId
        self.functionName = functionName
        self.qualifier = qualifier
        self.payload = payload
        self.enqueuedMilliseconds = enqueuedMilliseconds
        self.attempts = attempts
        self.nextAttemptMilliseconds = nextAttemptMilliseconds
    }
}

/// An event that has left the queue, and the destination records it produced.
public struct AsyncCompletion: Sendable {
    public var id: Int64
    public var followUps: [AsyncEvent]

    public init(id: Int64, followUps: [AsyncEvent]) {
        self.id = id
        self.followUps = followUps
    }
}

/// A function's (or one qualifier's) asynchronous invocation settings, as stored.
public struct EventInvokeConfigRecord: Codable, Sendable, Equatable {
    public var functionName: String
    public var qualifier: String
    public var maximumRetryAttempts: Int?
    public var maximumEventAgeSeconds: Int?
    public var onSuccessDestination: String?
    public var onFailureDestination: String?
    public var lastModifiedMilliseconds: Int64

    public init(
        functionName: String, qualifier: String, maximumRetryAttempts: Int? = nil,
        maximumEventAgeSeconds: Int? = nil, onSuccessDestination: String? = nil,
        onFailureDestination: String? = nil, lastModifiedMilliseconds: Int64
    ) {
        self.functionName = functionName
        self.qualifier = qualifier
        self.maximumRetryAttempts = maximumRetryAttempts
        self.maximumEventAgeSeconds = maximumEventAgeSeconds
        self.onSuccessDestination = onSuccessDestination
        self.onFailureDestination = onFailureDestination
        self.lastModifiedMilliseconds = lastModifiedMilliseconds
    }
}

/// The durable queue behind asynchronous invocation, and the settings that steer it.
///
/// Every method that changes the queue commits with full sync before it returns:
/// an event the caller was told is accepted is on disk.
public protocol AsyncEventStore: Sendable {
    /// Stores `events` in one transaction (one fsync however many there are);
    /// returns them with their ids.
    func enqueueAsyncEvents(_ events: [AsyncEvent]) throws(StoreError) -> [AsyncEvent]

    /// Every queued event in id order, for recovery after a restart.
    func allAsyncEvents() throws(StoreError) -> [AsyncEvent]

    /// Removes `id` and, in the same transaction, enqueues `followUps`
    /// (destination records), so an outcome is never lost nor delivered twice.
    func completeAsyncEvent(id: Int64, enqueueing followUps: [AsyncEvent]) throws(StoreError) -> [AsyncEvent]

    /// `completeAsyncEvent` for many events in one transaction; one list of stored
    /// follow-ups per completion, in order.
    func completeAsyncEvents(_ completions: [AsyncCompletion]) throws(StoreError) -> [[AsyncEvent]]

    /// Records a failed attempt and when to try again.
    func rescheduleAsyncEvent(id: Int64, attempts: Int, nextAttemptMilliseconds: Int64) throws(StoreError)

    func putEventInvokeConfig(_ config: EventInvokeConfigRecord) throws(StoreError)
    func eventInvokeConfig(functionName: String, qualifier: String) throws(StoreError) -> EventInvokeConfigRecord?
    func eventInvokeConfigs(functionName: String) throws(StoreError) -> [EventInvokeConfigRecord]
    @discardableResult
    func deleteEventInvokeConfig(functionName: String, qualifier: String) throws(StoreError) -> Bool
}
