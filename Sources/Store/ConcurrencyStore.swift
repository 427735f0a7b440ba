/// Reserved concurrency: how many environments a function may run at once,
/// carved out of the account's limit.
public protocol ConcurrencyStore: Sendable {
    func setReservedConcurrency(functionName: String, reserved: Int?) throws(StoreError)
    func reservedConcurrency(functionName: String) throws(StoreError) -> Int?
    /// Every function's reservation, by name.
    func allReservedConcurrency() throws(StoreError) -> [String: Int]
}

extension SQLiteStore: ConcurrencyStore {
    public func setReservedConcurrency(functionName: String, reserved: Int?) throws(StoreError) {
        try withDatabase { database throws(StoreError) in
            if let reserved {
                try database.run(
                    """
                    INSERT INTO function_concurrency (function_name, reserved) VALUES (?, ?)
                    ON CONFLICT (function_name) DO UPDATE SET reserved = excluded.reserved
                    """,
                    [functionName, reserved])
            } else {
                try database.run("DELETE FROM function_concurrency WHERE function_name = ?", [functionName])
            }
        }
    }

    public func reservedConcurrency(functionName: String) throws(StoreError) -> Int? {
        try withDatabase { database throws(StoreError) in
            try database.query(
                "SELECT reserved FROM function_concurrency WHERE function_name = ?", [functionName]
            ) { $0.int(0) }.first
        }
    }

    public func allReservedConcurrency() throws(StoreError) -> [String: Int] {
        let rows = try withDatabase { database throws(StoreError) in
            try database.query("SELECT function_name, reserved FROM function_concurrency") { ($0.text(0), $0.int(1)) }
        }
        return Dictionary(rows, uniquingKeysWith: { _, last in last })
    }
}
