import Store

/// Users, their access keys, and the tags of users and roles.
extension IAMService {
    func createUser(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        var check = QueryValidator()
        check.name(request["UserName"], at: "userName", max: 64)
        check.path(request["Path"], at: "path")
        let tags = request.tags("Tags")
        check.tags(tags, at: "tags")
        try check.check()
        try Self.refuseUnsupported(request, ["PermissionsBoundary"])
        let name = request["UserName"] ?? ""
        let path = request["Path"] ?? "/"
        let arn = Self.arn(caller, "user", path: path, name: name)
        try authorized(caller, "CreateUser", arn)

        let user = IAMUserRecord(
            name: name, userId: IAMIdentifiers.make(prefix: "AIDA", length: 21), path: path, arn: arn,
            createdMilliseconds: now(), tags: try Self.uniqueTags(tags))
        try stored(conflict: .entityAlreadyExists("User with name \(name) already exists.")) {
            () throws(StoreError) in try store.createUser(user)
        }
        return Self.result { $0.element("User") { Self.write(user, to: &$0, withTags: true) } }
    }

    func getUser(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        var check = QueryValidator()
        check.name(request["UserName"], at: "userName", max: 128, required: false)
        try check.check()
        let name: String
        if let given = request["UserName"] {
            name = given
        } else if caller.principal.kind == .root {
            return Self.result { $0.element("User") { Self.writeRoot(caller, to: &$0, now: now()) } }
        } else {
            name = try Self.callingUserName(caller)
        }
        let target = try authorizedEntity(.user(name), "GetUser", caller)
        let user = try stored { () throws(StoreError) in try store.user(named: target.name) }
        guard let user else { throw Self.noSuchEntity(.user(name)) }
        return Self.result { $0.element("User") { Self.write(user, to: &$0, withTags: true) } }
    }

    func listUsers(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        var check = QueryValidator()
        check.pathPrefix(request["PathPrefix"], at: "pathPrefix")
        try check.check()
        try authorized(caller, "ListUsers", Self.arn(caller, "user", path: "/", name: ""))
        let users = try stored { () throws(StoreError) in try store.users(pathPrefix: request["PathPrefix"]) }
        let page = try IAMPagination.page(users, request) { $0.name.lowercased() }
        return Self.result { result in
            result.members("Users", page.items) { member, user in Self.write(user, to: &member, withTags: false) }
            page.writeTruncation(&result)
        }
    }

    func deleteUser(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let name = try Self.requiredName(request, "UserName", at: "userName", max: 128)
        let target = try authorizedEntity(.user(name), "DeleteUser", caller)
        let outcome = try stored { () throws(StoreError) in try store.deleteUser(named: target.name) }
        try Self.check(outcome, .user(name))
        return nil
    }

    // MARK: Access keys

    func createAccessKey(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let target = try accessKeyOwner(request, "CreateAccessKey", caller)
        let key = AccessKeyRecord(
            accessKeyId: IAMIdentifiers.make(prefix: "AKIA", length: 20),
            secretAccessKey: IAMIdentifiers.secretAccessKey(), userName: target.name, createdMilliseconds: now())
        try stored(
            notFound: Self.noSuchEntity(.user(target.name)),
            conflict: .limitExceeded("Cannot exceed quota for AccessKeysPerUser: \(Self.accessKeysPerUser)")
        ) { () throws(StoreError) in try store.createAccessKey(key, limit: Self.accessKeysPerUser) }
        return Self.result { result in
            result.element("AccessKey") { element in
                element.element("UserName", key.userName)
                element.element("AccessKeyId", key.accessKeyId)
                element.element("Status", key.status.rawValue)
                element.element("SecretAccessKey", key.secretAccessKey)
                element.element("CreateDate", UTCTimestamp.iso8601(key.createdMilliseconds))
            }
        }
    }

    func listAccessKeys(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let target = try accessKeyOwner(request, "ListAccessKeys", caller)
        let keys = try stored(notFound: Self.noSuchEntity(.user(target.name))) { () throws(StoreError) in
            try store.accessKeys(userName: target.name)
        }
        // Keys are listed oldest first; the marker names a key by its id.
        let page = try IAMPagination.page(keys, request) { $0.accessKeyId }
        return Self.result { result in
            result.members("AccessKeyMetadata", page.items) { member, key in
                member.element("UserName", key.userName)
                member.element("AccessKeyId", key.accessKeyId)
                member.element("Status", key.status.rawValue)
                member.element("CreateDate", UTCTimestamp.iso8601(key.createdMilliseconds))
            }
            page.writeTruncation(&result)
        }
    }

    func updateAccessKey(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        var check = QueryValidator()
        check.accessKeyId(request["AccessKeyId"], at: "accessKeyId")
        check.required(request["Status"], at: "status")
        check.oneOf(request["Status"], at: "status", ["Active", "Inactive", "Expired"])
        try check.check()
        guard let status = AccessKeyStatus(rawValue: request["Status"] ?? "") else {
            throw AWSError.invalidInput("An access key's status can only be set to Active or Inactive.")
        }
        let id = request["AccessKeyId"] ?? ""
        let target = try accessKeyOwner(request, "UpdateAccessKey", caller)
        let updated = try stored(notFound: Self.noSuchEntity(.user(target.name))) { () throws(StoreError) in
            try store.updateAccessKey(userName: target.name, accessKeyId: id, status: status)
        }
        guard updated else { throw Self.noSuchAccessKey(id) }
        return nil
    }

    func deleteAccessKey(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        var check = QueryValidator()
        check.accessKeyId(request["AccessKeyId"], at: "accessKeyId")
        try check.check()
        let id = request["AccessKeyId"] ?? ""
        let target = try accessKeyOwner(request, "DeleteAccessKey", caller)
        let deleted = try stored(notFound: Self.noSuchEntity(.user(target.name))) { () throws(StoreError) in
            try store.deleteAccessKey(userName: target.name, accessKeyId: id)
        }
        guard deleted else { throw Self.noSuchAccessKey(id) }
        return nil
    }

    /// The user whose keys a request is about: `UserName`, or else the calling user.
    private func accessKeyOwner(
        _ request: QueryRequest, _ operation: String, _ caller: IAMCaller
    ) throws(AWSError) -> EntityTarget {
        var check = QueryValidator()
        check.name(request["UserName"], at: "userName", max: 128, required: false)
        try check.check()
        if let name = request["UserName"] {
            return try authorizedEntity(.user(name), operation, caller)
        }
        return try authorizedEntity(.user(Self.callingUserName(caller)), operation, caller)
    }

    private static func noSuchAccessKey(_ id: String) -> AWSError {
        .noSuchEntity("The Access Key with id \(id) cannot be found.")
    }

    // MARK: Tags

    func tag(_ action: String, _ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let entity = try Self.taggedEntity(action, request)
        var check = QueryValidator()
        let tags = request.tags("Tags")
        check.tags(tags, at: "tags")
        try check.check()
        let unique = try Self.uniqueTags(tags)
        let target = try authorizedEntity(entity, action, caller)
        try updateTags(target, adding: unique, removing: [])
        return nil
    }

    func untag(_ action: String, _ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let entity = try Self.taggedEntity(action, request)
        let keys = request.list("TagKeys")
        var check = QueryValidator()
        for (index, key) in keys.enumerated() {
            check.length(key, at: "tagKeys.\(index + 1).member", min: 1, max: 128)
        }
        try check.check()
        let target = try authorizedEntity(entity, action, caller)
        try updateTags(target, adding: [], removing: keys)
        return nil
    }

    func listTags(_ action: String, _ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let entity = try Self.taggedEntity(action, request)
        let target = try authorizedEntity(entity, action, caller)
        let tags = try updateTags(target, adding: [], removing: [])
        let page = try IAMPagination.page(tags, request) { $0.key.lowercased() }
        return Self.result { result in
            result.members("Tags", page.items) { member, tag in
                member.element("Key", tag.key)
                member.element("Value", tag.value)
            }
            page.writeTruncation(&result)
        }
    }

    @discardableResult
    private func updateTags(_ target: EntityTarget, adding: [IAMTag], removing: [String]) throws(AWSError) -> [IAMTag] {
        try stored(
            notFound: Self.noSuchEntity(target.entity),
            conflict: .limitExceeded("The number of tags has reached the maximum limit.")
        ) { () throws(StoreError) in
            try store.updateTags(of: target.entity, adding: adding, removing: removing, limit: Self.tagsPerEntity)
        }
    }

    /// The user or role a tagging operation names.
    private static func taggedEntity(_ action: String, _ request: QueryRequest) throws(AWSError) -> IAMEntity {
        if action.hasSuffix("User") || action == "ListUserTags" {
            return .user(try requiredName(request, "UserName", at: "userName", max: 128))
        }
        return .role(try requiredName(request, "RoleName", at: "roleName", max: 64))
    }

    /// The request's tags, refusing keys that differ only in case as IAM does.
    static func uniqueTags(_ tags: [(key: String, value: String?)]) throws(AWSError) -> [IAMTag] {
        let keys = Set(tags.map { $0.key.lowercased() })
        guard keys.count == tags.count else {
            throw AWSError.invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        }
        return tags.map { IAMTag(key: $0.key, value: $0.value ?? "") }
    }

    // MARK: Shapes

    /// A User shape's members.
    static func write(_ user: IAMUserRecord, to writer: inout XMLWriter, withTags: Bool) {
        writer.element("Path", user.path)
        writer.element("UserName", user.name)
        writer.element("UserId", user.userId)
        writer.element("Arn", user.arn)
        writer.element("CreateDate", UTCTimestamp.iso8601(user.createdMilliseconds))
        if withTags, !user.tags.isEmpty {
            writeTags(user.tags, to: &writer)
        }
    }

    /// The User shape of the account's root, as GetUser without a name returns it.
    private static func writeRoot(_ caller: IAMCaller, to writer: inout XMLWriter, now: Int64) {
        writer.element("UserId", caller.accountId)
        writer.element("Arn", caller.principal.arn)
        writer.element("CreateDate", UTCTimestamp.iso8601(now))
    }

    static func writeTags(_ tags: [IAMTag], to writer: inout XMLWriter) {
        writer.members("Tags", tags) { member, tag in
            member.element("Key", tag.key)
            member.element("Value", tag.value)
        }
    }

    // MARK: Helpers shared by the operations

    /// A writer holding what `body` writes: an operation's result.
    static func result(_ body: (inout XMLWriter) -> Void) -> XMLWriter {
        var writer = XMLWriter()
        body(&writer)
        return writer
    }

    /// A required name member, checked against the model.
    static func requiredName(
        _ request: QueryRequest, _ field: String, at member: String, max: Int
    ) throws(AWSError) -> String {
        var check = QueryValidator()
        check.name(request[field], at: member, max: max)
        try check.check()
        return request[field] ?? ""
    }

    /// Refuses members whose meaning Swiftlet does not implement, rather than ignoring them and
    /// granting more than the caller asked for: InvalidInput, or the error `refusal` makes.
    static func refuseUnsupported(
        _ request: QueryRequest, _ fields: [String], refusal: (String) -> AWSError = AWSError.invalidInput
    ) throws(AWSError) {
        for field in fields where request.fields.keys.contains(where: { $0 == field || $0.hasPrefix(field + ".") }) {
            throw refusal("Swiftlet does not support \(field).")
        }
    }

    /// Turns a delete's outcome into IAM's errors for `entity`.
    static func check(_ outcome: IAMDeletion, _ entity: IAMEntity) throws(AWSError) {
        switch outcome {
        case .deleted: return
        case .notFound: throw noSuchEntity(entity)
        case .blocked(by: .accessKeys):
            throw AWSError.deleteConflict("Cannot delete entity, must delete access keys first.")
        case .blocked(by: .inlinePolicies):
            throw AWSError.deleteConflict("Cannot delete entity, must delete policies first.")
        case .blocked(by: .attachedPolicies):
            throw AWSError.deleteConflict("Cannot delete entity, must detach all policies first.")
        case .blocked: throw AWSError.deleteConflict("Cannot delete entity, must remove referenced objects first.")
        }
    }
}
