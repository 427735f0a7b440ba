extension SQLiteStore {
    // MARK: Inline policies

    public func putInlinePolicy(_ entity: IAMEntity, name: String, document: String) throws(StoreError) {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                try Self.requireEntity(database, entity)
                try database.run(
                    """
                    INSERT INTO iam_inline_policies (entity_kind, entity_name, policy_name, document)
                    VALUES (?, ?, ?, ?)
                    ON CONFLICT (entity_kind, entity_name, policy_name) DO UPDATE SET document = excluded.document
                    """,
                    [entity.kind, entity.name, name, document])
            }
        }
    }

    public func inlinePolicy(_ entity: IAMEntity, name: String) throws(StoreError) -> String? {
        try withDatabase { database throws(StoreError) in
            try Self.requireEntity(database, entity)
            return try database.query(
                """
                SELECT document FROM iam_inline_policies
                WHERE entity_kind = ? AND entity_name = ? AND policy_name = ?
                """,
                [entity.kind, entity.name, name]
            ) { $0.text(0) }.first
        }
    }

    public func inlinePolicyNames(_ entity: IAMEntity) throws(StoreError) -> [String] {
        try withDatabase { database throws(StoreError) in
            try Self.requireEntity(database, entity)
            return try database.query(
                """
                SELECT policy_name FROM iam_inline_policies WHERE entity_kind = ? AND entity_name = ?
                ORDER BY policy_name
                """,
                [entity.kind, entity.name]
            ) { $0.text(0) }
        }
    }

    public func deleteInlinePolicy(_ entity: IAMEntity, name: String) throws(StoreError) -> Bool {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> Bool in
                try Self.requireEntity(database, entity)
                return try database.run(
                    "DELETE FROM iam_inline_policies WHERE entity_kind = ? AND entity_name = ? AND policy_name = ?",
                    [entity.kind, entity.name, name]) > 0
            }
        }
    }

    // MARK: Managed policies

    public func createPolicy(_ policy: ManagedPolicyRecord, document: String) throws(StoreError) {
        let tags = try Self.recordJSON(policy.tags)
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                do throws(StoreError) {
                    try database.run(
                        """
                        INSERT INTO iam_policies (arn, name, policy_id, path, description, default_version,
                            last_version, created_ms, updated_ms, tags)
                        VALUES (?, ?, ?, ?, ?, 'v1', 1, ?, ?, ?)
                        """,
                        [
                            policy.arn, policy.name, policy.policyId, policy.path, policy.description,
                            policy.createdMilliseconds, policy.updatedMilliseconds, tags,
                        ])
                } catch  where error.code == .conflict {
                    throw StoreError(.conflict, "Policy \(policy.name) already exists.")
                }
                try database.run(
                    "INSERT INTO iam_policy_versions (policy_arn, version, document, created_ms) VALUES (?, 1, ?, ?)",
                    [policy.arn, document, policy.createdMilliseconds])
            }
        }
    }

    public func policy(arn: String) throws(StoreError) -> ManagedPolicyRecord? {
        try withDatabase { database throws(StoreError) in
            try database.query("\(Self.policyColumns) WHERE arn = ?", [arn], Self.policyRecord).first
        }
    }

    public func policies(pathPrefix: String?, onlyAttached: Bool) throws(StoreError) -> [ManagedPolicyRecord] {
        try withDatabase { database throws(StoreError) in
            try database.query(
                "\(Self.policyColumns) WHERE \(Self.pathFilter) AND (?2 = 0 OR \(Self.attachments) > 0) ORDER BY name",
                [pathPrefix, onlyAttached ? 1 : 0], Self.policyRecord)
        }
    }

    public func deletePolicy(arn: String) throws(StoreError) -> IAMDeletion {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> IAMDeletion in
                guard try Self.count(database, "SELECT count(*) FROM iam_policies WHERE arn = ?", [arn]) > 0 else {
                    return .notFound
                }
                if try Self.count(database, "SELECT count(*) FROM iam_attachments WHERE policy_arn = ?", [arn]) > 0 {
                    return .blocked(by: .attachments)
                }
                if try Self.count(database, "SELECT count(*) FROM iam_policy_versions WHERE policy_arn = ?", [arn]) > 1
                {
                    return .blocked(by: .nonDefaultVersions)
                }
                try database.run("DELETE FROM iam_policies WHERE arn = ?", [arn])
                return .deleted
            }
        }
    }

    // MARK: Policy versions

    public func createPolicyVersion(
        policyArn: String, document: String, setAsDefault: Bool, createdMilliseconds: Int64, limit: Int
    ) throws(StoreError) -> PolicyVersionRecord {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> PolicyVersionRecord in
                let last = try database.query("SELECT last_version FROM iam_policies WHERE arn = ?", [policyArn]) {
                    $0.int(0)
                }.first
                guard let last else { throw Self.missingPolicy(policyArn) }
                let count = try Self.count(
                    database, "SELECT count(*) FROM iam_policy_versions WHERE policy_arn = ?", [policyArn])
                guard count < limit else {
                    throw StoreError(.conflict, "Policy \(policyArn) already has \(count) versions.")
                }
                let version = last + 1
                try database.run(
                    "INSERT INTO iam_policy_versions (policy_arn, version, document, created_ms) VALUES (?, ?, ?, ?)",
                    [policyArn, version, document, createdMilliseconds])
                try database.run(
                    """
                    UPDATE iam_policies SET last_version = ?, updated_ms = ?,
                        default_version = CASE WHEN ? THEN ? ELSE default_version END
                    WHERE arn = ?
                    """,
                    [version, createdMilliseconds, setAsDefault ? 1 : 0, "v\(version)", policyArn])
                return PolicyVersionRecord(
                    policyArn: policyArn, versionId: "v\(version)", document: document, isDefault: setAsDefault,
                    createdMilliseconds: createdMilliseconds)
            }
        }
    }

    public func policyVersion(policyArn: String, versionId: String) throws(StoreError) -> PolicyVersionRecord? {
        guard let number = Self.versionNumber(versionId) else { return nil }
        return try withDatabase { database throws(StoreError) in
            try database.query(
                "\(Self.versionColumns) WHERE v.policy_arn = ? AND v.version = ?", [policyArn, number],
                Self.versionRecord
            ).first
        }
    }

    public func policyVersions(policyArn: String) throws(StoreError) -> [PolicyVersionRecord] {
        try withDatabase { database throws(StoreError) in
            try Self.requirePolicy(database, policyArn)
            return try database.query(
                "\(Self.versionColumns) WHERE v.policy_arn = ? ORDER BY v.version DESC", [policyArn],
                Self.versionRecord)
        }
    }

    public func setDefaultPolicyVersion(policyArn: String, versionId: String) throws(StoreError) -> Bool {
        let number = Self.versionNumber(versionId) ?? 0
        return try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> Bool in
                try Self.requirePolicy(database, policyArn)
                guard try Self.versionExists(database, policyArn, number) else { return false }
                try database.run(
                    "UPDATE iam_policies SET default_version = ? WHERE arn = ?", ["v\(number)", policyArn])
                return true
            }
        }
    }

    public func deletePolicyVersion(policyArn: String, versionId: String) throws(StoreError) -> IAMDeletion {
        let number = Self.versionNumber(versionId) ?? 0
        return try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> IAMDeletion in
                try Self.requirePolicy(database, policyArn)
                guard try Self.versionExists(database, policyArn, number) else { return .notFound }
                let isDefault = try Self.count(
                    database, "SELECT count(*) FROM iam_policies WHERE arn = ? AND default_version = ?",
                    [policyArn, "v\(number)"])
                guard isDefault == 0 else { return .blocked(by: .defaultVersion) }
                try database.run(
                    "DELETE FROM iam_policy_versions WHERE policy_arn = ? AND version = ?", [policyArn, number])
                return .deleted
            }
        }
    }

    // MARK: Attachments

    public func attachPolicy(_ entity: IAMEntity, policyArn: String, limit: Int) throws(StoreError) {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                try Self.requireEntity(database, entity)
                if !policyArn.hasPrefix(Self.awsManagedPolicyPrefix) {
                    try Self.requirePolicy(database, policyArn)
                }
                let attached = try database.query(
                    "SELECT policy_arn FROM iam_attachments WHERE entity_kind = ? AND entity_name = ?",
                    [entity.kind, entity.name]
                ) { $0.text(0) }
                if attached.contains(policyArn) { return }
                guard attached.count < limit else {
                    throw StoreError(.conflict, "\(entity.name) already has \(attached.count) policies attached.")
                }
                try database.run(
                    """
                    INSERT INTO iam_attachments (entity_kind, entity_name, policy_arn, attached_ms)
                    VALUES (?, ?, ?, ?)
                    """,
                    [entity.kind, entity.name, policyArn, now()])
            }
        }
    }

    public func detachPolicy(_ entity: IAMEntity, policyArn: String) throws(StoreError) -> Bool {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> Bool in
                try Self.requireEntity(database, entity)
                return try database.run(
                    "DELETE FROM iam_attachments WHERE entity_kind = ? AND entity_name = ? AND policy_arn = ?",
                    [entity.kind, entity.name, policyArn]) > 0
            }
        }
    }

    public func attachedPolicies(_ entity: IAMEntity) throws(StoreError) -> [String] {
        try withDatabase { database throws(StoreError) in
            try Self.requireEntity(database, entity)
            return try Self.attachedArns(database, entity)
        }
    }

    public func attachmentCount(policyArn: String) throws(StoreError) -> Int {
        try withDatabase { database throws(StoreError) in
            try Self.count(database, "SELECT count(*) FROM iam_attachments WHERE policy_arn = ?", [policyArn])
        }
    }

    public func policyDocuments(
        for entity: IAMEntity, awsManagedDocument: (String) -> String?
    ) throws(StoreError) -> [IAMPolicyDocument] {
        let (inline, attached) = try withDatabase { database throws(StoreError) in
            guard try Self.exists(database, entity) else {
                return ([IAMPolicyDocument](), [(arn: String, document: String?)]())
            }
            let inline = try database.query(
                """
                SELECT policy_name, document FROM iam_inline_policies WHERE entity_kind = ? AND entity_name = ?
                ORDER BY policy_name
                """,
                [entity.kind, entity.name]
            ) { IAMPolicyDocument(source: .inline($0.text(0)), document: $0.text(1)) }
            let attached = try Self.attachedArns(database, entity).map { arn throws(StoreError) in
                (arn: arn, document: try Self.defaultDocument(database, arn))
            }
            return (inline, attached)
        }
        // AWS managed documents come from outside the store, so they are looked up after
        // the connection is released.
        return inline
            + attached.compactMap { entry in
                (entry.document ?? awsManagedDocument(entry.arn)).map {
                    IAMPolicyDocument(source: .managed(entry.arn), document: $0)
                }
            }
    }

    // MARK: Sessions

    public func createSession(
        roleName: String, sessionName: String, durationSeconds: Int
    ) throws(StoreError) -> SessionRecord {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> SessionRecord in
                let role = try database.query(
                    "SELECT name, role_id, path FROM iam_roles WHERE name = ?", [roleName]
                ) { (name: $0.text(0), id: $0.text(1), path: $0.text(2)) }.first
                guard let role else { throw Self.missing(.role(roleName)) }
                let created = now()
                let session = SessionRecord(
                    accessKeyId: IAMIdentifiers.make(prefix: "ASIA", length: 20),
                    secretAccessKey: IAMIdentifiers.secretAccessKey(), sessionToken: IAMIdentifiers.sessionToken(),
                    roleName: role.name, roleId: role.id, rolePath: role.path, sessionName: sessionName,
                    createdMilliseconds: created, expirationMilliseconds: created + Int64(durationSeconds) * 1_000)
                try Self.insert(session, into: database)
                return session
            }
        }
    }

    @discardableResult
    public func deleteExpiredSessions(before milliseconds: Int64) throws(StoreError) -> Int {
        try withDatabase { database throws(StoreError) in
            try database.run("DELETE FROM iam_sessions WHERE expiration_ms < ?", [milliseconds])
        }
    }

    private static func insert(_ session: SessionRecord, into database: SQLiteDatabase) throws(StoreError) {
        try database.run(
            """
            INSERT INTO iam_sessions (access_key_id, secret_access_key, session_token, role_name, role_id,
                role_path, session_name, created_ms, expiration_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                session.accessKeyId, session.secretAccessKey, session.sessionToken, session.roleName, session.roleId,
                session.rolePath, session.sessionName, session.createdMilliseconds, session.expirationMilliseconds,
            ])
    }
}

// MARK: - Policy rows

extension SQLiteStore {
    /// ARNs of AWS managed policies start so; the store keeps no row for them.
    static let awsManagedPolicyPrefix = "arn:aws:iam::aws:policy/"

    /// A policy's attachment count, as an expression over the row `p`.
    static let attachments = "(SELECT count(*) FROM iam_attachments a WHERE a.policy_arn = p.arn)"

    static let policyColumns = """
        SELECT p.arn, p.name, p.policy_id, p.path, p.description, p.default_version, p.created_ms, p.updated_ms,
            \(attachments), p.tags
        FROM iam_policies p
        """

    static let versionColumns = """
        SELECT v.policy_arn, v.version, v.document, 'v' || v.version = p.default_version, v.created_ms
        FROM iam_policy_versions v JOIN iam_policies p ON p.arn = v.policy_arn
        """

    static func policyRecord(_ row: SQLiteRow) throws(StoreError) -> ManagedPolicyRecord {
        ManagedPolicyRecord(
            arn: row.text(0), name: row.text(1), policyId: row.text(2), path: row.text(3),
            description: row.optionalText(4), defaultVersionId: row.text(5), createdMilliseconds: row.int64(6),
            updatedMilliseconds: row.int64(7), attachmentCount: row.int(8),
            tags: try record([IAMTag].self, from: row.text(9)))
    }

    static func versionRecord(_ row: SQLiteRow) -> PolicyVersionRecord {
        PolicyVersionRecord(
            policyArn: row.text(0), versionId: "v\(row.int(1))", document: row.text(2), isDefault: row.int(3) != 0,
            createdMilliseconds: row.int64(4))
    }

    /// The number in a version id `vN`, or nil for anything else.
    static func versionNumber(_ versionId: String) -> Int? {
        guard versionId.hasPrefix("v"), let number = Int(versionId.dropFirst()), number > 0 else { return nil }
        return number
    }

    static func requirePolicy(_ database: SQLiteDatabase, _ arn: String) throws(StoreError) {
        guard try count(database, "SELECT count(*) FROM iam_policies WHERE arn = ?", [arn]) > 0 else {
            throw missingPolicy(arn)
        }
    }

    static func missingPolicy(_ arn: String) -> StoreError {
        StoreError(.notFound, "The policy \(arn) does not exist.")
    }

    static func versionExists(_ database: SQLiteDatabase, _ arn: String, _ number: Int) throws(StoreError) -> Bool {
        try count(
            database, "SELECT count(*) FROM iam_policy_versions WHERE policy_arn = ? AND version = ?", [arn, number])
            > 0
    }

    static func attachedArns(_ database: SQLiteDatabase, _ entity: IAMEntity) throws(StoreError) -> [String] {
        try database.query(
            """
            SELECT policy_arn FROM iam_attachments WHERE entity_kind = ? AND entity_name = ?
            ORDER BY attached_ms, policy_arn
            """,
            [entity.kind, entity.name]
        ) { $0.text(0) }
    }

    /// The default version's document of customer managed policy `arn`, or nil.
    static func defaultDocument(_ database: SQLiteDatabase, _ arn: String) throws(StoreError) -> String? {
        try database.query(
            """
            SELECT v.document FROM iam_policies p
            JOIN iam_policy_versions v ON v.policy_arn = p.arn AND 'v' || v.version = p.default_version
            WHERE p.arn = ?
            """,
            [arn]
        ) { $0.text(0) }.first
    }
}
