/// One function version as the store keeps it: the unpublished `$LATEST`
/// or an immutable numbered version. The Control API maps it to and from
/// Lambda's wire shapes; the store only persists and indexes it.
public struct FunctionRecord: Codable, Sendable, Equatable {
    public var name: String
    /// `$LATEST`, or a published version number ("1", "2", ...).
    public var version: String
    public var runtime: String?
    public var role: String
    public var handler: String?
    public var description: String
    public var timeoutSeconds: Int
    public var memoryMegabytes: Int
    public var ephemeralStorageMegabytes: Int
    public var environment: [String: String]
    public var architectures: [String]
    public var packageType: String
    /// Hex SHA-256 of the code zip; the blob's key in the store.
    public var codeSha256Hex: String
    /// Base64 SHA-256 of the code zip, as Lambda reports CodeSha256.
    public var codeSha256: String
    public var codeSizeBytes: Int
    /// Milliseconds since the Unix epoch of the last change.
    public var lastModifiedMilliseconds: Int64
    public var revisionId: String
    public var state: String
    public var stateReason: String?
    public var stateReasonCode: String?
    public var lastUpdateStatus: String
    public var lastUpdateStatusReason: String?
    public var lastUpdateStatusReasonCode: String?
    /// The account and region the function was created in.
    public var accountId: String
    public var region: String
    // Settings added after the first schema: optional, so records stored before them decode.
    /// TracingConfig.Mode: "PassThrough" (nil) or "Active".
    public var tracingMode: String? = nil
    /// DeadLetterConfig.TargetArn.
    public var deadLetterTargetArn: String? = nil
    public var kmsKeyArn: String? = nil
    /// LoggingConfig: "Text" (nil) or "JSON", the log group, and the log levels for JSON.
    public var logFormat: String? = nil
    public var logGroup: String? = nil
    public var applicationLogLevel: String? = nil
    public var systemLogLevel: String? = nil
    /// The layer versions the function uses, in merge order.
    public var layers: [FunctionLayer]? = nil
    /// The code's unzipped size, counted when it was accepted (nil for code stored before it was kept).
    public var codeUnzippedBytes: Int64? = nil
    /// RuntimeManagementConfig: `Auto`, `FunctionUpdate` or `Manual` (nil reads as `Auto`).
    public var runtimeUpdateMode: String? = nil
    /// The runtime version pinned in `Manual` mode.
    public var runtimeVersionArn: String? = nil
    /// FunctionRecursionConfig: `Terminate` or `Allow` (nil reads as `Terminate`).
    public var recursiveLoop: String? = nil

    public init(
        name: String, version: String = "$LATEST", runtime: String?, role: String,
        handler: String?, description: String = "", timeoutSeconds: Int = 3,
        memoryMegabytes: Int = 128, ephemeralStorageMegabytes: Int = 512,
        environment: [String: String] = [:], architectures: [String] = ["x86_64"],
        packageType: String = "Zip", codeSha256Hex: String, codeSha256: String,
        codeSizeBytes: Int, lastModifiedMilliseconds: Int64, revisionId: String,
        state: String = "Active", lastUpdateStatus: String = "Successful",
        accountId: String, region: String
    ) {
        self.name = name
        self.version = version
        self.runtime = runtime
        self.role = role
        self.handler = handler
        self.description = description
        self.timeoutSeconds = timeoutSeconds
        self.memoryMegabytes = memoryMegabytes
        self.ephemeralStorageMegabytes = ephemeralStorageMegabytes
        self.environment = environment
        self.architectures = architectures
        self.packageType = packageType
        self.codeSha256Hex = codeSha256Hex
        self.codeSha256 = codeSha256
        self.codeSizeBytes = codeSizeBytes
        self.lastModifiedMilliseconds = lastModifiedMilliseconds
        self.revisionId = revisionId
        self.state = state
        self.lastUpdateStatus = lastUpdateStatus
        self.accountId = accountId
        self.region = region
    }
}

/// A layer version a function uses.
public struct FunctionLayer: Codable, Sendable, Equatable {
    public var arn: String
    public var codeSizeBytes: Int
    /// Hex SHA-256 of the layer's zip.
    public var codeSha256Hex: String
    /// The layer's unzipped size (nil for layers used before it was kept).
    public var unzippedBytes: Int64?

    public init(arn: String, codeSizeBytes: Int, codeSha256Hex: String, unzippedBytes: Int64? = nil) {
        self.arn = arn
        self.codeSizeBytes = codeSizeBytes
        self.codeSha256Hex = codeSha256Hex
        self.unzippedBytes = unzippedBytes
    }
}
