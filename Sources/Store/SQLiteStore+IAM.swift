extension SQLiteStore: IAMStore {
    // MARK: Users

    public func createUser(_ user: IAMUserRecord) throws(StoreError) {
        let tags = try Self.recordJSON(user.tags)
        try withDatabase { database throws(StoreError) in
            do throws(StoreError) {
                try database.run(
                    "INSERT INTO iam_users (name, user_id, path, arn, created_ms, tags) VALUES (?, ?, ?, ?, ?, ?)",
                    [user.name, user.userId, user.path, user.arn, user.createdMilliseconds, tags])
            } catch  where error.code == .conflict {
                throw StoreError(.conflict, "User \(user.name) already exists.")
            }
        }
    }

    public func user(named name: String) throws(StoreError) -> IAMUserRecord? {
        try withDatabase { database throws(StoreError) in
            try database.query("\(Self.userColumns) WHERE name = ?", [name], Self.userRecord).first
        }
    }

    public func users(pathPrefix: String?) throws(StoreError) -> [IAMUserRecord] {
        try withDatabase { database throws(StoreError) in
            try database.query(
                "\(Self.userColumns) WHERE \(Self.pathFilter) ORDER BY name", [pathPrefix], Self.userRecord)
        }
    }

    public func deleteUser(named name: String) throws(StoreError) -> IAMDeletion {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> IAMDeletion in
                guard try Self.exists(database, .user(name)) else { return .notFound }
                if try Self.count(database, "SELECT count(*) FROM iam_access_keys WHERE user_name = ?", [name]) > 0 {
                    return .blocked(by: .accessKeys)
                }
                if let dependent = try Self.policyDependent(database, .user(name)) {
                    return .blocked(by: dependent)
                }
                try database.run("DELETE FROM iam_users WHERE name = ?", [name])
                return .deleted
            }
        }
    }

    // MARK: Access keys

    public func createAccessKey(_ key: AccessKeyRecord, limit: Int) throws(StoreError) {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                try Self.requireEntity(database, .user(key.userName))
                let count = try Self.count(
                    database, "SELECT count(*) FROM iam_access_keys WHERE user_name = ?", [key.userName])
                guard count < limit else {
                    throw StoreError(.conflict, "User \(key.userName) already has \(count) access keys.")
                }
                try database.run(
                    """
                    INSERT INTO iam_access_keys (access_key_id, secret_access_key, user_name, status, created_ms)
                    VALUES (?, ?, (SELECT name FROM iam_users WHERE name = ?), ?, ?)
                    """,
                    [key.accessKeyId, key.secretAccessKey, key.userName, key.status.rawValue, key.createdMilliseconds])
            }
        }
    }

    public func accessKeys(userName: String) throws(StoreError) -> [AccessKeyRecord] {
        try withDatabase { database throws(StoreError) in
            try Self.requireEntity(database, .user(userName))
            return try database.query(
                """
                SELECT access_key_id, secret_access_key, user_name, status, created_ms FROM iam_access_keys
                WHERE user_name = ? ORDER BY created_ms, access_key_id
                """,
                [userName]
            ) { row throws(StoreError) in
                AccessKeyRecord(
                    accessKeyId: row.text(0), secretAccessKey: row.text(1), userName: row.text(2),
                    status: try Self.status(row.text(3)), createdMilliseconds: row.int64(4))
            }
        }
    }

    public func updateAccessKey(
        userName: String, accessKeyId: String, status: AccessKeyStatus
    ) throws(StoreError) -> Bool {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> Bool in
                try Self.requireEntity(database, .user(userName))
                return try database.run(
                    "UPDATE iam_access_keys SET status = ? WHERE access_key_id = ? AND user_name = ?",
                    [status.rawValue, accessKeyId, userName]) > 0
            }
        }
    }

    public func deleteAccessKey(userName: String, accessKeyId: String) throws(StoreError) -> Bool {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> Bool in
                try Self.requireEntity(database, .user(userName))
                return try database.run(
                    "DELETE FROM iam_access_keys WHERE access_key_id = ? AND user_name = ?",
                    [accessKeyId, userName]) > 0
            }
        }
    }

    public func credential(accessKeyId: String) throws(StoreError) -> IAMCredential? {
        try withDatabase { database throws(StoreError) in
            if let key = try Self.userCredential(database, accessKeyId) {
                return key
            }
            return try database.query(
                """
                SELECT secret_access_key, session_token, role_name, role_id, role_path, session_name, expiration_ms
                FROM iam_sessions WHERE access_key_id = ?
                """,
                [accessKeyId]
            ) { row in
                IAMCredential(
                    accessKeyId: accessKeyId, secretAccessKey: row.text(0), sessionToken: row.text(1),
                    status: .active, expirationMilliseconds: row.int64(6),
                    owner: .assumedRole(
                        roleName: row.text(2), roleId: row.text(3), rolePath: row.text(4), sessionName: row.text(5)))
            }.first
        }
    }

    private static func userCredential(
        _ database: SQLiteDatabase, _ accessKeyId: String
    ) throws(StoreError)
        -> IAMCredential?
    {
        try database.query(
            """
            SELECT k.secret_access_key, k.status, u.name, u.user_id, u.path
            FROM iam_access_keys k JOIN iam_users u ON u.name = k.user_name WHERE k.access_key_id = ?
            """,
            [accessKeyId]
        ) { row throws(StoreError) in
            IAMCredential(
                accessKeyId: accessKeyId, secretAccessKey: row.text(0), sessionToken: nil,
                status: try status(row.text(1)), expirationMilliseconds: nil,
                owner: .user(name: row.text(2), userId: row.text(3), path: row.text(4)))
        }.first
    }

    // MARK: Roles

    public func createRole(_ role: RoleRecord) throws(StoreError) {
        let tags = try Self.recordJSON(role.tags)
        try withDatabase { database throws(StoreError) in
            do throws(StoreError) {
                try database.run(
                    """
                    INSERT INTO iam_roles (name, role_id, path, arn, assume_role_policy, description,
                        max_session_seconds, created_ms, tags)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        role.name, role.roleId, role.path, role.arn, role.assumeRolePolicyDocument, role.description,
                        role.maxSessionDurationSeconds, role.createdMilliseconds, tags,
                    ])
            } catch  where error.code == .conflict {
                throw StoreError(.conflict, "Role \(role.name) already exists.")
            }
        }
    }

    public func role(named name: String) throws(StoreError) -> RoleRecord? {
        try withDatabase { database throws(StoreError) in
            try database.query("\(Self.roleColumns) WHERE name = ?", [name], Self.roleRecord).first
        }
    }

    public func roles(pathPrefix: String?) throws(StoreError) -> [RoleRecord] {
        try withDatabase { database throws(StoreError) in
            try database.query(
                "\(Self.roleColumns) WHERE \(Self.pathFilter) ORDER BY name", [pathPrefix], Self.roleRecord)
        }
    }

    public func updateRole(
        named name: String, description: String?, maxSessionDurationSeconds: Int?
    ) throws(StoreError) -> RoleRecord? {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> RoleRecord? in
                try database.run(
                    """
                    UPDATE iam_roles SET description = coalesce(?, description),
                        max_session_seconds = coalesce(?, max_session_seconds)
                    WHERE name = ?
                    """,
                    [description, maxSessionDurationSeconds, name])
                return try database.query("\(Self.roleColumns) WHERE name = ?", [name], Self.roleRecord).first
            }
        }
    }

    public func updateAssumeRolePolicy(roleName: String, document: String) throws(StoreError) -> Bool {
        try withDatabase { database throws(StoreError) in
            try database.run("UPDATE iam_roles SET assume_role_policy = ? WHERE name = ?", [document, roleName]) > 0
        }
    }

    public func deleteRole(named name: String) throws(StoreError) -> IAMDeletion {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> IAMDeletion in
                guard try Self.exists(database, .role(name)) else { return .notFound }
                if let dependent = try Self.policyDependent(database, .role(name)) {
                    return .blocked(by: dependent)
                }
                try database.run("DELETE FROM iam_sessions WHERE role_name = ?", [name])
                try database.run("DELETE FROM iam_roles WHERE name = ?", [name])
                return .deleted
            }
        }
    }

    // MARK: Tags

    public func updateTags(
        of entity: IAMEntity, adding tags: [IAMTag], removing: [String], limit: Int
    ) throws(StoreError) -> [IAMTag] {
        let table = Self.table(entity)
        return try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> [IAMTag] in
                let stored = try database.query("SELECT tags FROM \(table) WHERE name = ?", [entity.name]) {
                    row throws(StoreError) in try Self.record([IAMTag].self, from: row.text(0))
                }.first
                guard let stored else { throw Self.missing(entity) }
                let merged = Self.merge(stored, adding: tags, removing: removing)
                guard merged.count <= limit else {
                    throw StoreError(.conflict, "\(entity.name) would have \(merged.count) tags.")
                }
                try database.run(
                    "UPDATE \(table) SET tags = ? WHERE name = ?", [try Self.recordJSON(merged), entity.name])
                return merged
            }
        }
    }

    /// `stored` with `tags` added or replaced in place and `removing` keys dropped, keys
    /// compared ignoring case.
    static func merge(_ stored: [IAMTag], adding tags: [IAMTag], removing: [String]) -> [IAMTag] {
        var merged = stored
        for tag in tags {
            if let index = merged.firstIndex(where: { $0.key.lowercased() == tag.key.lowercased() }) {
                merged[index] = tag
            } else {
                merged.append(tag)
            }
        }
        let removed = Set(removing.map { $0.lowercased() })
        return merged.filter { !removed.contains($0.key.lowercased()) }
    }
}

// MARK: - Rows and shared checks

extension SQLiteStore {
    static let userColumns = "SELECT name, user_id, path, arn, created_ms, tags FROM iam_users"

    static let roleColumns = """
        SELECT name, role_id, path, arn, assume_role_policy, description, max_session_seconds, created_ms, tags
        FROM iam_roles
        """

    /// Matches rows whose path starts with the first parameter, or every row when it is NULL.
    static let pathFilter = "(?1 IS NULL OR substr(path, 1, length(?1)) = ?1)"

    static func userRecord(_ row: SQLiteRow) throws(StoreError) -> IAMUserRecord {
        IAMUserRecord(
            name: row.text(0), userId: row.text(1), path: row.text(2), arn: row.text(3),
            createdMilliseconds: row.int64(4), tags: try record([IAMTag].self, from: row.text(5)))
    }

    static func roleRecord(_ row: SQLiteRow) throws(StoreError) -> RoleRecord {
        RoleRecord(
            name: row.text(0), roleId: row.text(1), path: row.text(2), arn: row.text(3),
            assumeRolePolicyDocument: row.text(4), description: row.optionalText(5),
            maxSessionDurationSeconds: row.int(6), createdMilliseconds: row.int64(7),
            tags: try record([IAMTag].self, from: row.text(8)))
    }

    static func status(_ text: String) throws(StoreError) -> AccessKeyStatus {
        guard let status = AccessKeyStatus(rawValue: text) else {
            throw StoreError(.corrupt, "A stored access key has the unknown status \(text).")
        }
        return status
    }

    /// The table that holds `entity`.
    static func table(_ entity: IAMEntity) -> String {
        switch entity {
        case .user: "iam_users"
        case .role: "iam_roles"
        }
    }

    static func exists(_ database: SQLiteDatabase, _ entity: IAMEntity) throws(StoreError) -> Bool {
        try count(database, "SELECT count(*) FROM \(table(entity)) WHERE name = ?", [entity.name]) > 0
    }

    /// Throws `.notFound` unless `entity` exists.
    static func requireEntity(_ database: SQLiteDatabase, _ entity: IAMEntity) throws(StoreError) {
        guard try exists(database, entity) else { throw missing(entity) }
    }

    static func missing(_ entity: IAMEntity) -> StoreError {
        StoreError(.notFound, "The \(entity.kind) \(entity.name) does not exist.")
    }

    static func count(
        _ database: SQLiteDatabase, _ sql: String, _ values: [any SQLiteBindable]
    ) throws(StoreError)
        -> Int
    {
        try database.query(sql, values) { $0.int(0) }.first ?? 0
    }

    /// Inline or attached policies that keep `entity` from being deleted, if any.
    static func policyDependent(_ database: SQLiteDatabase, _ entity: IAMEntity) throws(StoreError) -> IAMDependent? {
        let values: [any SQLiteBindable] = [entity.kind, entity.name]
        let condition = "WHERE entity_kind = ? AND entity_name = ?"
        if try count(database, "SELECT count(*) FROM iam_inline_policies \(condition)", values) > 0 {
            return .inlinePolicies
        }
        if try count(database, "SELECT count(*) FROM iam_attachments \(condition)", values) > 0 {
            return .attachedPolicies
        }
        return nil
    }
}
