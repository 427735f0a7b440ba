/// Published function versions: numbered snapshots of `$LATEST`.
public protocol FunctionVersionStore: Sendable {
    /// Stores `record` as the next numbered version of its function and returns it with
    /// `version` set. Numbers are never reused while the function exists, even after a
    /// version is deleted.
    ///
    /// - Parameter expectedLatestRevisionId: `$LATEST`'s revision the snapshot was taken
    ///   from; when `$LATEST` has moved on, `.preconditionFailed`.
    /// - Throws: `.notFound` when the function has no `$LATEST`.
    func publishFunctionVersion(
        _ record: FunctionRecord, expectedLatestRevisionId: String
    ) throws(StoreError) -> FunctionRecord
}

/// Function aliases.
public protocol AliasStore: Sendable {
    /// Stores a new alias; `.conflict` when the function already has one by that name.
    func createAlias(_ alias: AliasRecord) throws(StoreError)

    /// The alias `name` of `functionName`, or nil.
    func alias(functionName: String, name: String) throws(StoreError) -> AliasRecord?

    /// Every alias of `functionName`, ordered by name.
    func aliases(functionName: String) throws(StoreError) -> [AliasRecord]

    /// Replaces a stored alias. `.notFound` without it; `.preconditionFailed` when
    /// `expectedRevisionId` is given and no longer matches.
    func updateAlias(_ alias: AliasRecord, expectedRevisionId: String?) throws(StoreError)

    /// Deletes one alias. Returns whether it existed.
    @discardableResult
    func deleteAlias(functionName: String, name: String) throws(StoreError) -> Bool
}

/// Tags on functions (Lambda tags the unqualified function, never a version or alias).
public protocol TagStore: Sendable {
    /// The tags of `functionName`; empty when it has none.
    func tags(functionName: String) throws(StoreError) -> [String: String]

    /// Adds `tags` to `functionName`, replacing the values of keys it already has.
    func tagFunction(_ functionName: String, tags: [String: String]) throws(StoreError)

    /// Removes the tags with `keys` from `functionName`; absent keys are ignored.
    func untagFunction(_ functionName: String, keys: [String]) throws(StoreError)
}

/// Layer versions and their code.
public protocol LayerStore: Sendable {
    /// Stores `record` as the next version of its layer and returns it with `version` set.
    /// Numbers keep growing even after every version of a layer is deleted.
    func publishLayerVersion(_ record: LayerVersionRecord) throws(StoreError) -> LayerVersionRecord

    /// Version `version` of `layerName`, or nil.
    func layerVersion(layerName: String, version: Int) throws(StoreError) -> LayerVersionRecord?

    /// The versions of `layerName`, newest first.
    func layerVersions(layerName: String) throws(StoreError) -> [LayerVersionRecord]

    /// The newest version of every layer, ordered by layer name.
    func latestLayerVersions() throws(StoreError) -> [LayerVersionRecord]

    /// Replaces a stored layer version (its policy). `.notFound` without it.
    func updateLayerVersion(_ record: LayerVersionRecord) throws(StoreError)

    /// Deletes one layer version. Returns whether it existed.
    @discardableResult
    func deleteLayerVersion(layerName: String, version: Int) throws(StoreError) -> Bool
}

/// Resource-based policies of functions (AddPermission, GetPolicy, RemovePermission).
///
/// A function has one policy per qualifier: the unqualified function (`""`), and each
/// version or alias. Deleting the function, or that version, deletes its policies.
public protocol FunctionPolicyStore: Sendable {
    /// The policy document and its revision id, or nil when there is none.
    func functionPolicy(
        functionName: String, qualifier: String
    ) throws(StoreError)
        -> (document: String, revisionId: String)?

    /// Replaces the policy, or deletes it when `document` is nil.
    ///
    /// - Parameter expectedRevisionId: When given, the change happens only if the stored policy
    ///   still has this revision, else `.preconditionFailed`.
    func setFunctionPolicy(
        functionName: String, qualifier: String, document: String?, revisionId: String, expectedRevisionId: String?
    ) throws(StoreError)
}
