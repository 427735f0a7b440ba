extension SQLiteStore {
    public func createAlias(_ alias: AliasRecord) throws(StoreError) {
        let json = try Self.recordJSON(alias)
        try withDatabase { database throws(StoreError) in
            do throws(StoreError) {
                try database.run(
                    "INSERT INTO aliases (function_name, name, revision_id, record) VALUES (?, ?, ?, ?)",
                    [alias.functionName, alias.name, alias.revisionId, json])
            } catch  where error.code == .conflict {
                throw StoreError(.conflict, "Alias \(alias.name) of \(alias.functionName) already exists.")
            }
        }
    }

    public func alias(functionName: String, name: String) throws(StoreError) -> AliasRecord? {
        let json = try withDatabase { database throws(StoreError) in
            try database.query(
                "SELECT record FROM aliases WHERE function_name = ? AND name = ?", [functionName, name]
            ) { $0.text(0) }.first
        }
        return try json.map { json throws(StoreError) in try Self.record(AliasRecord.self, from: json) }
    }

    public func aliases(functionName: String) throws(StoreError) -> [AliasRecord] {
        let records = try withDatabase { database throws(StoreError) in
            try database.query(
                "SELECT record FROM aliases WHERE function_name = ? ORDER BY name", [functionName]
            ) { $0.text(0) }
        }
        return try records.map { json throws(StoreError) in try Self.record(AliasRecord.self, from: json) }
    }

    public func updateAlias(_ alias: AliasRecord, expectedRevisionId: String?) throws(StoreError) {
        let json = try Self.recordJSON(alias)
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                let stored = try database.query(
                    "SELECT revision_id FROM aliases WHERE function_name = ? AND name = ?",
                    [alias.functionName, alias.name]
                ) { $0.text(0) }.first
                guard let stored else {
                    throw StoreError(.notFound, "Alias \(alias.name) of \(alias.functionName) does not exist.")
                }
                if let expectedRevisionId, expectedRevisionId != stored {
                    throw StoreError(
                        .preconditionFailed,
                        "The revision ID \(expectedRevisionId) does not match the current revision \(stored).")
                }
                try database.run(
                    "UPDATE aliases SET revision_id = ?, record = ? WHERE function_name = ? AND name = ?",
                    [alias.revisionId, json, alias.functionName, alias.name])
            }
        }
    }

    @discardableResult
    public func deleteAlias(functionName: String, name: String) throws(StoreError) -> Bool {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> Bool in
                try database.run(
                    "DELETE FROM function_policies WHERE function_name = ? AND qualifier = ?", [functionName, name])
                try database.run(
                    "DELETE FROM provisioned_concurrency WHERE function_name = ? AND qualifier = ?",
                    [functionName, name])
                return try database.run(
                    "DELETE FROM aliases WHERE function_name = ? AND name = ?", [functionName, name]) > 0
            }
        }
    }
}
