extension SQLiteStore {
    public func functionPolicy(
        functionName: String, qualifier: String
    ) throws(StoreError)
        -> (document: String, revisionId: String)?
    {
        try withDatabase { database throws(StoreError) in
            try database.query(
                "SELECT document, revision_id FROM function_policies WHERE function_name = ? AND qualifier = ?",
                [functionName, qualifier]
            ) { (document: $0.text(0), revisionId: $0.text(1)) }.first
        }
    }

    public func setFunctionPolicy(
        functionName: String, qualifier: String, document: String?, revisionId: String, expectedRevisionId: String?
    ) throws(StoreError) {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                let stored = try database.query(
                    "SELECT revision_id FROM function_policies WHERE function_name = ? AND qualifier = ?",
                    [functionName, qualifier]
                ) { $0.text(0) }.first
                if let expectedRevisionId, expectedRevisionId != stored {
                    throw StoreError(
                        .preconditionFailed,
                        "The Revision Id provided does not match the latest Revision Id. "
                            + "Call the GetPolicy API to retrieve the latest Revision Id")
                }
                guard let document else {
                    try database.run(
                        "DELETE FROM function_policies WHERE function_name = ? AND qualifier = ?",
                        [functionName, qualifier])
                    return
                }
                try database.run(
                    """
                    INSERT INTO function_policies (function_name, qualifier, document, revision_id) VALUES (?, ?, ?, ?)
                    ON CONFLICT (function_name, qualifier)
                    DO UPDATE SET document = excluded.document, revision_id = excluded.revision_id
                    """,
                    [functionName, qualifier, document, revisionId])
            }
        }
    }
}
