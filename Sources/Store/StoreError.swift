/// Why a store operation failed.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of failure, for mapping to status codes and error shapes.
    public enum Code: Sendable, Equatable {
        /// The named function, blob, log group or stream does not exist.
        case notFound
        /// The thing being created exists already.
        case conflict
        /// The caller's expected revision no longer matches what is stored.
        case preconditionFailed
        /// An argument the store interprets itself, such as a paging token, is malformed.
        case invalidArgument
        /// Stored data does not read back as written: a damaged database, record or blob.
        case corrupt
        /// A file system operation on the data directory failed.
        case io
        /// SQLite reported some other failure; `sqliteCode` says which.
        case sqlite
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation naming what was involved.
    public var message: String
    /// SQLite's extended result code, when the failure came from SQLite.
    public var sqliteCode: Int32?

    /// Creates an error of kind `code`.
    public init(_ code: Code, _ message: String, sqliteCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.sqliteCode = sqliteCode
    }

    public var description: String { message }
}
