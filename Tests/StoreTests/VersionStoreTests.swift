import Testing

@testable import Store

@Suite("Published versions, aliases and tags in the store")
struct VersionStoreTests {
    @Test("versions are numbered 1, 2, 3 and numbers are not reused after a deletion")
    func numbering() throws {
        try withStore { store, _ in
            let latest = makeFunction("f")
            try store.createFunction(latest)
            #expect(try store.publishFunctionVersion(latest, expectedLatestRevisionId: "r1").version == "1")
            #expect(try store.publishFunctionVersion(latest, expectedLatestRevisionId: "r1").version == "2")
            try store.deleteFunctionVersion(named: "f", version: "2")
            #expect(try store.publishFunctionVersion(latest, expectedLatestRevisionId: "r1").version == "3")
            #expect(try store.functionVersions(named: "f").map(\.version) == ["$LATEST", "1", "3"])
        }
    }

    @Test("publishing from a stale $LATEST revision fails and takes no number")
    func staleRevision() throws {
        try withStore { store, _ in
            try store.createFunction(makeFunction("f"))
            let error = #expect(throws: StoreError.self) {
                try store.publishFunctionVersion(makeFunction("f"), expectedLatestRevisionId: "old")
            }
            #expect(error?.code == .preconditionFailed)
            #expect(try store.publishFunctionVersion(makeFunction("f"), expectedLatestRevisionId: "r1").version == "1")
        }
    }

    @Test("publishing a function that does not exist is not found")
    func missingFunction() throws {
        try withStore { store, _ in
            let error = #expect(throws: StoreError.self) {
                try store.publishFunctionVersion(makeFunction("f"), expectedLatestRevisionId: "r1")
            }
            #expect(error?.code == .notFound)
        }
    }

    @Test("deleting a function deletes its aliases, tags and numbering")
    func cascade() throws {
        try withStore { store, _ in
            try store.createFunction(makeFunction("f"))
            _ = try store.publishFunctionVersion(makeFunction("f"), expectedLatestRevisionId: "r1")
            try store.createAlias(AliasRecord(functionName: "f", name: "live", functionVersion: "1", revisionId: "a"))
            try store.tagFunction("f", tags: ["team": "core"])
            try store.deleteFunction(named: "f")

            try store.createFunction(makeFunction("f"))
            #expect(try store.aliases(functionName: "f").isEmpty)
            #expect(try store.tags(functionName: "f").isEmpty)
            #expect(try store.publishFunctionVersion(makeFunction("f"), expectedLatestRevisionId: "r1").version == "1")
        }
    }

    @Test("aliases are unique per function and updated only from their current revision")
    func aliases() throws {
        try withStore { store, _ in
            var alias = AliasRecord(
                functionName: "f", name: "live", functionVersion: "1", additionalVersionWeights: ["2": 0.25],
                revisionId: "a1")
            try store.createAlias(alias)
            #expect(throws: StoreError.self) { try store.createAlias(alias) }
            #expect(try store.alias(functionName: "f", name: "live") == alias)

            alias.functionVersion = "2"
            alias.revisionId = "a2"
            let stale = #expect(throws: StoreError.self) { try store.updateAlias(alias, expectedRevisionId: "a0") }
            #expect(stale?.code == .preconditionFailed)
            try store.updateAlias(alias, expectedRevisionId: "a1")
            #expect(try store.alias(functionName: "f", name: "live")?.functionVersion == "2")

            #expect(try store.deleteAlias(functionName: "f", name: "live"))
            #expect(try !store.deleteAlias(functionName: "f", name: "live"))
            let missing = #expect(throws: StoreError.self) { try store.updateAlias(alias, expectedRevisionId: nil) }
            #expect(missing?.code == .notFound)
        }
    }

    @Test("tags merge, replace values and untag ignores absent keys")
    func tags() throws {
        try withStore { store, _ in
            try store.tagFunction("f", tags: ["a": "1", "b": "2"])
            try store.tagFunction("f", tags: ["a": "one"])
            try store.untagFunction("f", keys: ["b", "absent"])
            #expect(try store.tags(functionName: "f") == ["a": "one"])
        }
    }

    @Test("layer versions keep counting after every version is deleted")
    func layerNumbering() throws {
        try withStore { store, _ in
            let layer = LayerVersionRecord(
                layerName: "l", version: 0, codeSha256Hex: "aa", codeSha256: "x", codeSizeBytes: 1,
                createdMilliseconds: 1, policyRevisionId: "p", accountId: "123456789012", region: "us-east-1")
            #expect(try store.publishLayerVersion(layer).version == 1)
            #expect(try store.publishLayerVersion(layer).version == 2)
            #expect(try store.latestLayerVersions().map(\.version) == [2])
            try store.deleteLayerVersion(layerName: "l", version: 1)
            try store.deleteLayerVersion(layerName: "l", version: 2)
            #expect(try store.publishLayerVersion(layer).version == 3)
            #expect(try store.layerVersions(layerName: "l").map(\.version) == [3])
        }
    }

    @Test("a record stored before the new settings existed still decodes")
    func oldRecordsDecode() throws {
        let json = try SQLiteStore.recordJSON(makeFunction("f"))
        let stripped = json.replacingOccurrences(of: #","tracingMode":null"#, with: "")
        #expect(!stripped.contains("tracingMode"))
        let record = try SQLiteStore.record(FunctionRecord.self, from: stripped)
        #expect(record.tracingMode == nil)
        #expect(record.name == "f")
    }
}
