extension SQLiteStore {
    /// The `version_counters` kind for layer versions.
    static let layerCounterKind = "layer"

    public func publishLayerVersion(_ record: LayerVersionRecord) throws(StoreError) -> LayerVersionRecord {
        try withDatabase { database throws(StoreError) in
            try database.transaction { () throws(StoreError) -> LayerVersionRecord in
                var published = record
                published.version = try Self.nextNumber(
                    database, kind: Self.layerCounterKind, name: record.layerName,
                    highestStored: "SELECT MAX(version) FROM layer_versions WHERE layer_name = ?")
                try database.run(
                    """
                    INSERT INTO layer_versions (layer_name, version, code_sha256_hex, record)
                    VALUES (?, ?, ?, ?)
                    """,
                    [
                        published.layerName, published.version, published.codeSha256Hex,
                        try Self.recordJSON(published),
                    ])
                return published
            }
        }
    }

    public func layerVersion(layerName: String, version: Int) throws(StoreError) -> LayerVersionRecord? {
        try layerRecords(
            "SELECT record FROM layer_versions WHERE layer_name = ? AND version = ?", [layerName, version]
        ).first
    }

    public func layerVersions(layerName: String) throws(StoreError) -> [LayerVersionRecord] {
        try layerRecords(
            "SELECT record FROM layer_versions WHERE layer_name = ? ORDER BY version DESC", [layerName])
    }

    public func latestLayerVersions() throws(StoreError) -> [LayerVersionRecord] {
        try layerRecords(
            """
            SELECT record FROM layer_versions AS newest
            WHERE version = (SELECT MAX(version) FROM layer_versions WHERE layer_name = newest.layer_name)
            ORDER BY layer_name
            """, [])
    }

    public func updateLayerVersion(_ record: LayerVersionRecord) throws(StoreError) {
        let json = try Self.recordJSON(record)
        let changed = try withDatabase { database throws(StoreError) in
            try database.run(
                "UPDATE layer_versions SET record = ? WHERE layer_name = ? AND version = ?",
                [json, record.layerName, record.version])
        }
        if changed == 0 {
            throw StoreError(.notFound, "Layer \(record.layerName) version \(record.version) does not exist.")
        }
    }

    @discardableResult
    public func deleteLayerVersion(layerName: String, version: Int) throws(StoreError) -> Bool {
        try withDatabase { database throws(StoreError) in
            try database.run(
                "DELETE FROM layer_versions WHERE layer_name = ? AND version = ?", [layerName, version]) > 0
        }
    }

    private func layerRecords(_ sql: String, _ values: [any SQLiteBindable]) throws(StoreError) -> [LayerVersionRecord]
    {
        let records = try withDatabase { database throws(StoreError) in
            try database.query(sql, values) { $0.text(0) }
        }
        return try records.map { json throws(StoreError) in try Self.record(LayerVersionRecord.self, from: json) }
    }
}
