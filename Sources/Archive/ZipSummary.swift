/// What a validated zip archive holds.
public struct ZipSummary: Sendable, Equatable {
    /// The number of distinct regular files.
    public var fileCount: Int
    /// The bytes of file data, counted while decompressing rather than taken from headers.
    public var uncompressedBytes: Int64
    /// Regular files' paths: relative, normalised, without a leading "./" or trailing "/".
    public var paths: Set<String>

    /// Creates a summary.
    public init(fileCount: Int, uncompressedBytes: Int64, paths: Set<String>) {
        self.fileCount = fileCount
        self.uncompressedBytes = uncompressedBytes
        self.paths = paths
    }
}
