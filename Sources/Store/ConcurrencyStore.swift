/// Reserved concurrency: how many environments a function may run at once,
/// carved out of the account's limit.
public protocol ConcurrencyStore: Sendable {
    func setReservedConcurrency(functionName: String, reserved: Int?) throws(StoreError)
    func reservedConcurrency(functionName: String) throws(StoreError) -> Int?
    /// Every function's reservation, by name.
    func allReservedConcurrency() throws(StoreError) -> [String: Int]

    /// Sets (or with nil, removes) the provisioned concurrency of `functionName` at `qualifier`.
    func setProvisionedConcurrency(
        functionName: String, qualifier: String, requested: Int?, lastModifiedMilliseconds: Int64
    ) throws(StoreError)
    /// Every provisioned-concurrency configuration, ordered by function and qualifier.
    func provisionedConcurrency() throws(StoreError) -> [ProvisionedConcurrency]
}

/// A provisioned-concurrency configuration: how many environments to keep initialised.
public struct ProvisionedConcurrency: Sendable, Equatable {
    public var functionName: String
    public var qualifier: String
    public var requested: Int
    public var lastModifiedMilliseconds: Int64

    public init(functionName: String, qualifier: String, requested: Int, lastModifiedMilliseconds: Int64) {
        self.functionName = functionName
        self.qualifier = qualifier
        self.requested = requested
        self.lastModifiedMilliseconds = lastModifiedMilliseconds
    }
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

    public func setProvisionedConcurrency(
        functionName: String, qualifier: String, requested: Int?, lastModifiedMilliseconds: Int64
    ) throws(StoreError) {
        try withDatabase { database throws(StoreError) in
            guard let requested else {
                try database.run(
                    "DELETE FROM provisioned_concurrency WHERE function_name = ? AND qualifier = ?",
                    [functionName, qualifier])
                return
            }
            try database.run(
                """
                INSERT INTO provisioned_concurrency (function_name, qualifier, requested, last_modified_ms)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (function_name, qualifier)
                DO UPDATE SET requested = excluded.requested, last_modified_ms = excluded.last_modified_ms
                """,
                [functionName, qualifier, requested, lastModifiedMilliseconds])
        }
    }

    public func provisionedConcurrency() throws(StoreError) -> [ProvisionedConcurrency] {
        try withDatabase { database throws(StoreError) in
            try database.query(
                """
                SELECT function_name, qualifier, requested, last_modified_ms FROM provisioned_concurrency
                ORDER BY function_name, qualifier
                """
            ) {
                ProvisionedConcurrency(
                    functionName: $0.text(0), qualifier: $0.text(1), requested: $0.int(2),
                    lastModifiedMilliseconds: Int64($0.int(3)))
            }
        }
    }
}
