/// The schema, as an ordered list of migrations. Migration `n` (counting from 1) moves
/// the database from schema version `n - 1` to `n`; `schema_version` records how far
/// a database has come. Migrations are only ever appended, never edited.
enum Migrations {
    static let all: [String] = [
        // 1: functions, and the log groups, streams and events behind the logs API.
        """
        CREATE TABLE functions (
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            revision_id TEXT NOT NULL,
            code_sha256_hex TEXT NOT NULL,
            last_modified_ms INTEGER NOT NULL,
            record TEXT NOT NULL,
            PRIMARY KEY (name, version)
        ) WITHOUT ROWID;
        CREATE INDEX functions_by_code ON functions (code_sha256_hex);

        CREATE TABLE log_groups (
            name TEXT NOT NULL PRIMARY KEY,
            created_ms INTEGER NOT NULL,
            retention_days INTEGER
        ) WITHOUT ROWID;

        CREATE TABLE log_streams (
            group_name TEXT NOT NULL REFERENCES log_groups (name) ON DELETE CASCADE,
            name TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            first_event_ms INTEGER,
            last_event_ms INTEGER,
            last_ingestion_ms INTEGER,
            stored_bytes INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (group_name, name)
        ) WITHOUT ROWID;
        CREATE INDEX log_streams_by_last_event ON log_streams (group_name, last_event_ms, name);

        CREATE TABLE log_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            group_name TEXT NOT NULL,
            stream_name TEXT NOT NULL,
            timestamp_ms INTEGER NOT NULL,
            ingestion_ms INTEGER NOT NULL,
            message TEXT NOT NULL,
            FOREIGN KEY (group_name, stream_name) REFERENCES log_streams (group_name, name) ON DELETE CASCADE
        );
        CREATE INDEX log_events_by_stream ON log_events (group_name, stream_name, timestamp_ms, id);
        CREATE INDEX log_events_by_group ON log_events (group_name, timestamp_ms, id);
        """,
        // 2: the asynchronous invocation queue and per-qualifier event invoke configs.
        """
        CREATE TABLE async_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id TEXT NOT NULL,
            function_name TEXT NOT NULL,
            qualifier TEXT NOT NULL,
            payload BLOB NOT NULL,
            enqueued_ms INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_ms INTEGER NOT NULL
        );
        CREATE INDEX async_events_by_due ON async_events (next_attempt_ms, id);

        CREATE TABLE event_invoke_configs (
            function_name TEXT NOT NULL,
            qualifier TEXT NOT NULL,
            config TEXT NOT NULL,
            last_modified_ms INTEGER NOT NULL,
            PRIMARY KEY (function_name, qualifier)
        ) WITHOUT ROWID;
        """,
        // 3: version numbers, aliases, function tags and layer versions.
        """
        CREATE TABLE version_counters (
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            last_version INTEGER NOT NULL,
            PRIMARY KEY (kind, name)
        ) WITHOUT ROWID;

        CREATE TABLE aliases (
            function_name TEXT NOT NULL,
            name TEXT NOT NULL,
            revision_id TEXT NOT NULL,
            record TEXT NOT NULL,
            PRIMARY KEY (function_name, name)
        ) WITHOUT ROWID;

        CREATE TABLE function_tags (
            function_name TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (function_name, key)
        ) WITHOUT ROWID;

        CREATE TABLE layer_versions (
            layer_name TEXT NOT NULL,
            version INTEGER NOT NULL,
            code_sha256_hex TEXT NOT NULL,
            record TEXT NOT NULL,
            PRIMARY KEY (layer_name, version)
        ) WITHOUT ROWID;
        """,
        // 4: reserved concurrency per function.
        """
        CREATE TABLE function_concurrency (
            function_name TEXT NOT NULL PRIMARY KEY,
            reserved INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        // 5: resource-based policies of functions, one document per function and qualifier.
        """
        CREATE TABLE function_policies (
            function_name TEXT NOT NULL,
            qualifier TEXT NOT NULL,
            document TEXT NOT NULL,
            revision_id TEXT NOT NULL,
            PRIMARY KEY (function_name, qualifier)
        ) WITHOUT ROWID;
        """,
        // 6: IAM users, access keys, roles, managed and inline policies, attachments, and the
        // temporary credentials of role sessions. Names compare ignoring case, as in IAM.
        """
        CREATE TABLE iam_users (
            name TEXT NOT NULL COLLATE NOCASE PRIMARY KEY,
            user_id TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            arn TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            tags TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE iam_access_keys (
            access_key_id TEXT NOT NULL PRIMARY KEY,
            secret_access_key TEXT NOT NULL,
            user_name TEXT NOT NULL COLLATE NOCASE REFERENCES iam_users (name),
            status TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX iam_access_keys_by_user ON iam_access_keys (user_name, created_ms);

        CREATE TABLE iam_roles (
            name TEXT NOT NULL COLLATE NOCASE PRIMARY KEY,
            role_id TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            arn TEXT NOT NULL,
            assume_role_policy TEXT NOT NULL,
            description TEXT,
            max_session_seconds INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            tags TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE iam_policies (
            arn TEXT NOT NULL PRIMARY KEY,
            name TEXT NOT NULL COLLATE NOCASE UNIQUE,
            policy_id TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            description TEXT,
            default_version TEXT NOT NULL,
            last_version INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            tags TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE iam_policy_versions (
            policy_arn TEXT NOT NULL REFERENCES iam_policies (arn) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            document TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            PRIMARY KEY (policy_arn, version)
        ) WITHOUT ROWID;

        CREATE TABLE iam_inline_policies (
            entity_kind TEXT NOT NULL,
            entity_name TEXT NOT NULL COLLATE NOCASE,
            policy_name TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (entity_kind, entity_name, policy_name)
        ) WITHOUT ROWID;

        CREATE TABLE iam_attachments (
            entity_kind TEXT NOT NULL,
            entity_name TEXT NOT NULL COLLATE NOCASE,
            policy_arn TEXT NOT NULL,
            attached_ms INTEGER NOT NULL,
            PRIMARY KEY (entity_kind, entity_name, policy_arn)
        ) WITHOUT ROWID;
        CREATE INDEX iam_attachments_by_policy ON iam_attachments (policy_arn);

        CREATE TABLE iam_sessions (
            access_key_id TEXT NOT NULL PRIMARY KEY,
            secret_access_key TEXT NOT NULL,
            session_token TEXT NOT NULL,
            role_name TEXT NOT NULL COLLATE NOCASE,
            role_id TEXT NOT NULL,
            role_path TEXT NOT NULL,
            session_name TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            expiration_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX iam_sessions_by_role ON iam_sessions (role_name);
        CREATE INDEX iam_sessions_by_expiration ON iam_sessions (expiration_ms);
        """,
        // 7: provisioned concurrency per function and qualifier (a version or an alias).
        """
        CREATE TABLE provisioned_concurrency (
            function_name TEXT NOT NULL,
            qualifier TEXT NOT NULL,
            requested INTEGER NOT NULL,
            last_modified_ms INTEGER NOT NULL,
            PRIMARY KEY (function_name, qualifier)
        ) WITHOUT ROWID;
        """,
    ]

    /// Brings `database` up to the newest schema in one transaction, so a crash part way
    /// leaves it at its old version. Running it again on an up-to-date database changes nothing.
    ///
    /// - Returns: The schema version the database is now at.
    @discardableResult
    static func apply(to database: SQLiteDatabase, migrations: [String] = all) throws(StoreError) -> Int {
        try database.transaction { () throws(StoreError) -> Int in
            try database.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            let current = try database.query("SELECT version FROM schema_version") { $0.int(0) }.first
            if current == nil {
                try database.run("INSERT INTO schema_version (version) VALUES (0)")
            }
            let version = current ?? 0
            guard version <= migrations.count else {
                throw StoreError(
                    .corrupt,
                    "The database is at schema version \(version), "
                        + "newer than this build knows (\(migrations.count)).")
            }
            for migration in migrations.dropFirst(version) {
                try database.execute(migration)
            }
            try database.run("UPDATE schema_version SET version = ?", [migrations.count])
            return migrations.count
        }
    }
}
