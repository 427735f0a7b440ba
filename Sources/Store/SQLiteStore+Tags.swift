extension SQLiteStore {
    public func tags(functionName: String) throws(StoreError) -> [String: String] {
        let pairs = try withDatabase { database throws(StoreError) in
            try database.query(
                "SELECT key, value FROM function_tags WHERE function_name = ?", [functionName]
            ) { (key: $0.text(0), value: $0.text(1)) }
        }
        return Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    public func tagFunction(_ functionName: String, tags: [String: String]) throws(StoreError) {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
                    try database.run(
                        """
                        INSERT INTO function_tags (function_name, key, value) VALUES (?, ?, ?)
                        ON CONFLICT (function_name, key) DO UPDATE SET value = excluded.value
                        """,
                        [functionName, key, value])
                }
            }
        }
    }

    public func untagFunction(_ functionName: String, keys: [String]) throws(StoreError) {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) in
                for key in keys {
                    try database.run(
                        "DELETE FROM function_tags WHERE function_name = ? AND key = ?", [functionName, key])
                }
            }
        }
    }
}
