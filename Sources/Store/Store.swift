/// Durable state for Swiftlet: functions and their versions, code blobs, and logs.
///
/// Every method that changes state has committed it durably when it returns, so a
/// caller may acknowledge the change (a 2xx) at once. Methods are synchronous and
/// short; implementations are safe to call from any thread.
public protocol Store: Sendable, FunctionVersionStore, AliasStore, TagStore, LayerStore, FunctionPolicyStore {
    // MARK: Functions

    /// Stores a new function version. Throws `.conflict` when that name and version exist.
    func createFunction(_ record: FunctionRecord) throws(StoreError)

    /// The function version `version` ("$LATEST" or a number) of `name`, or nil.
    func function(named name: String, version: String) throws(StoreError) -> FunctionRecord?

    /// Every stored version of `name`: "$LATEST" first, then published versions in numeric order.
    func functionVersions(named name: String) throws(StoreError) -> [FunctionRecord]

    /// Replaces the stored record with the same name and version.
    ///
    /// - Parameter expectedRevisionId: When given, the update happens only if the stored
    ///   record still has this revision, else `.preconditionFailed`.
    /// - Throws: `.notFound` when there is no such record.
    func updateFunction(_ record: FunctionRecord, expectedRevisionId: String?) throws(StoreError)

    /// Deletes every version of `name`. Returns whether there was anything to delete.
    @discardableResult
    func deleteFunction(named name: String) throws(StoreError) -> Bool

    /// Deletes one version of `name`. Returns whether it existed.
    @discardableResult
    func deleteFunctionVersion(named name: String, version: String) throws(StoreError) -> Bool

    /// "$LATEST" records ordered by name, strictly after `marker`, at most `limit` of them.
    func listFunctions(after marker: String?, limit: Int) throws(StoreError) -> [FunctionRecord]

    // MARK: Code blobs

    /// Stores `bytes` under their SHA-256; storing the same bytes again is cheap and harmless.
    @discardableResult
    func putBlob(_ bytes: [UInt8]) throws(StoreError) -> BlobInfo

    /// Where the blob with hex SHA-256 `sha256Hex` lives on disk, whether or not it exists.
    func blobPath(sha256Hex: String) -> String

    /// The blob's bytes, checked against its hash. Throws `.notFound` or `.corrupt`.
    func readBlob(sha256Hex: String) throws(StoreError) -> [UInt8]

    /// Deletes blobs no function version references, sparing those written or re-put within
    /// `minimumAgeSeconds` so a blob put just before its function is created survives.
    ///
    /// - Returns: The number of files removed.
    @discardableResult
    func deleteUnreferencedBlobs(minimumAgeSeconds: Int) throws(StoreError) -> Int

    // MARK: Logs

    /// Creates log group `name` unless it exists.
    func ensureLogGroup(_ name: String) throws(StoreError)

    /// Creates log group `name`; `.conflict` if it exists.
    func createLogGroup(_ name: String) throws(StoreError)

    /// Creates stream `stream` in `group`; `.notFound` without the group, `.conflict` if it exists.
    func createLogStream(group: String, stream: String) throws(StoreError)

    /// Sets or clears how many days `group` keeps events; `.notFound` without the group.
    func setLogRetention(group: String, days: Int?) throws(StoreError)

    /// Appends `events` to `stream` in `group` in one transaction, creating both on demand.
    func appendLogEvents(group: String, stream: String, events: [LogEvent]) throws(StoreError)

    /// Log groups ordered by name, optionally those starting with `prefix`, strictly after
    /// the group named `token`, at most `limit` of them.
    func logGroups(prefix: String?, after token: String?, limit: Int) throws(StoreError) -> [LogGroupInfo]

    /// A page of `group`'s streams, by name or by last event time, either way round.
    /// Throws `.notFound` without the group, `.invalidArgument` for a malformed token.
    func logStreams(
        group: String, prefix: String?, orderByLastEvent: Bool, descending: Bool, after token: String?,
        limit: Int
    ) throws(StoreError) -> LogStreamsPage

    /// A page of one stream's events in the manner of CloudWatch Logs' GetLogEvents.
    ///
    /// Events with `startMilliseconds <= timestamp < endMilliseconds` count. Without a token the
    /// page is the oldest events when `startFromHead`, else the newest. "f/…" tokens page
    /// forward (newer), "b/…" backward (older). Pages hold at most `limit` events and about
    /// 1 MB. When nothing lies further in a token's direction, the same token comes back.
    func logEvents(
        group: String, stream: String, startMilliseconds: Int64?, endMilliseconds: Int64?,
        startFromHead: Bool, limit: Int, token: String?
    ) throws(StoreError) -> LogEventsPage

    /// Events across `group` whose messages contain every one of `terms` (case-sensitive),
    /// with `startMilliseconds <= timestamp <= endMilliseconds`, oldest first, in pages of at
    /// most `limit` events and about 1 MB. `nextToken` is nil on the last page.
    ///
    /// - Parameter streamNames: The streams to search; nil for all, empty for none.
    func filterLogEvents(
        group: String, streamNames: [String]?, startMilliseconds: Int64?, endMilliseconds: Int64?,
        terms: [String], limit: Int, token: String?
    ) throws(StoreError) -> FilteredLogEventsPage

    /// Deletes a group with its streams and events. Returns whether it existed.
    @discardableResult
    func deleteLogGroup(_ name: String) throws(StoreError) -> Bool

    /// Deletes a stream with its events. Returns whether it existed.
    @discardableResult
    func deleteLogStream(group: String, stream: String) throws(StoreError) -> Bool

    /// Deletes events beyond the newest `maxEventsPerGroup` of each group, events with a
    /// timestamp before `olderThanMilliseconds`, and events older than their group's retention.
    ///
    /// - Returns: The number of events deleted.
    @discardableResult
    func applyRetention(maxEventsPerGroup: Int, olderThanMilliseconds: Int64?) throws(StoreError) -> Int
}

extension Store {
    /// The function version if it is in memory, without touching the database (which may wait
    /// behind another thread's commit); nil when it is not, or the store keeps no cache.
    public func cachedFunction(named name: String, version: String) -> FunctionRecord? {
        nil
    }

    /// The "$LATEST" version of `name`, or nil.
    public func function(named name: String) throws(StoreError) -> FunctionRecord? {
        try function(named: name, version: FunctionRecord.latestVersion)
    }

    /// Deletes unreferenced blobs older than an hour.
    @discardableResult
    public func deleteUnreferencedBlobs() throws(StoreError) -> Int {
        try deleteUnreferencedBlobs(minimumAgeSeconds: 3_600)
    }
}

extension FunctionRecord {
    /// The name of the unpublished, mutable version.
    public static let latestVersion = "$LATEST"
}
