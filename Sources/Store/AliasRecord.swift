/// A function alias as the store keeps it: a name that points at one published version
/// (or `$LATEST`), optionally sending a share of invocations to a second version.
public struct AliasRecord: Codable, Sendable, Equatable {
    public var functionName: String
    public var name: String
    /// The version most invocations run.
    public var functionVersion: String
    public var description: String
    /// At most one other version and the share of invocations (0...1) it receives.
    public var additionalVersionWeights: [String: Double]
    public var revisionId: String

    public init(
        functionName: String, name: String, functionVersion: String, description: String = "",
        additionalVersionWeights: [String: Double] = [:], revisionId: String
    ) {
        self.functionName = functionName
        self.name = name
        self.functionVersion = functionVersion
        self.description = description
        self.additionalVersionWeights = additionalVersionWeights
        self.revisionId = revisionId
    }

    /// Every version this alias can run: its primary and any weighted one.
    public var referencedVersions: Set<String> {
        Set(additionalVersionWeights.keys).union([functionVersion])
    }
}

/// One published version of a layer: its code blob and the metadata Lambda reports.
public struct LayerVersionRecord: Codable, Sendable, Equatable {
    public var layerName: String
    public var version: Int
    public var description: String
    public var licenseInfo: String?
    public var compatibleRuntimes: [String]
    public var compatibleArchitectures: [String]
    /// Hex SHA-256 of the layer's zip; the blob's key in the store.
    public var codeSha256Hex: String
    /// Base64 SHA-256 of the zip, as Lambda reports CodeSha256.
    public var codeSha256: String
    public var codeSizeBytes: Int
    public var createdMilliseconds: Int64
    /// The layer version's resource policy statements as JSON documents, by statement id.
    public var policyStatements: [String: String]
    /// Changes whenever the policy changes.
    public var policyRevisionId: String
    public var accountId: String
    public var region: String
    /// The zip's unzipped size (nil for layers published before it was kept).
    public var unzippedBytes: Int64? = nil

    public init(
        layerName: String, version: Int, description: String = "", licenseInfo: String? = nil,
        compatibleRuntimes: [String] = [], compatibleArchitectures: [String] = [], codeSha256Hex: String,
        codeSha256: String, codeSizeBytes: Int, createdMilliseconds: Int64, policyStatements: [String: String] = [:],
        policyRevisionId: String, accountId: String, region: String
    ) {
        self.layerName = layerName
        self.version = version
        self.description = description
        self.licenseInfo = licenseInfo
        self.compatibleRuntimes = compatibleRuntimes
        self.compatibleArchitectures = compatibleArchitectures
        self.codeSha256Hex = codeSha256Hex
        self.codeSha256 = codeSha256
        self.codeSizeBytes = codeSizeBytes
        self.createdMilliseconds = createdMilliseconds
        self.policyStatements = policyStatements
        self.policyRevisionId = policyRevisionId
        self.accountId = accountId
        self.region = region
    }
}
