/// Why a code archive was refused or could not be read, written or unpacked.
///
/// `description` is a sentence meant to follow a caller's own lead-in, such as
/// "Could not unzip uploaded file. " in a Lambda error message.
public struct ArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of failure, for mapping to status codes and error shapes.
    public enum Code: Sendable, Equatable {
        /// The bytes are not a readable zip archive; the message carries libarchive's reason.
        case corrupt
        /// The archive holds no entries.
        case empty
        /// The uncompressed contents exceed the caller's limit.
        case tooLarge
        /// An entry would land, or point, outside the extraction directory.
        case unsafeEntry
        /// A file system operation failed; the message names the operation, path and error.
        case io
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation naming the entry or path involved.
    public var message: String

    /// Creates an error of kind `code` explained by `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func tooLarge(limit: Int64) -> ArchiveError {
        ArchiveError(.tooLarge, "Unzipped size must be smaller than \(limit) bytes.")
    }

    static func unsafe(_ path: String, _ reason: String) -> ArchiveError {
        ArchiveError(.unsafeEntry, "The entry '\(path)' \(reason).")
    }
}
