import Foundation
import Store
import Testing

@Suite("Functions in the store")
struct FunctionStoreTests {
    @Test("a created function reads back unchanged")
    func createAndRead() throws {
        try withStore { store, _ in
            let record = makeFunction("hello")
            try store.createFunction(record)

            #expect(try store.function(named: "hello") == record)
            #expect(try store.function(named: "hello", version: "$LATEST") == record)
        }
    }

    @Test("a missing function or version reads as nil")
    func missing() throws {
        try withStore { store, _ in
            try store.createFunction(makeFunction("hello"))

            #expect(try store.function(named: "other") == nil)
            #expect(try store.function(named: "hello", version: "1") == nil)
        }
    }

    @Test("creating an existing name and version is a conflict")
    func createConflict() throws {
        try withStore { store, _ in
            try store.createFunction(makeFunction("hello"))
            try store.createFunction(makeFunction("hello", version: "1"))

            let error = #expect(throws: StoreError.self) { try store.createFunction(makeFunction("hello")) }
            #expect(error?.code == .conflict)
        }
    }

    @Test("an update with the current revision, or none, replaces the record", arguments: ["r1", nil])
    func update(expected: String?) throws {
        try withStore { store, _ in
            try store.createFunction(makeFunction("hello"))
            var changed = makeFunction("hello", revision: "r2")
            changed.memoryMegabytes = 1024

            try store.updateFunction(changed, expectedRevisionId: expected)

            #expect(try store.function(named: "hello") == changed)
        }
    }

    @Test("reads served from the cache see every later update and delete")
    func cacheFollowsWrites() throws {
        try withStore { store, directory in
            try store.createFunction(makeFunction("cached"))
            #expect(try store.function(named: "cached")?.revisionId == "r1")
            try store.updateFunction(makeFunction("cached", revision: "r2"), expectedRevisionId: "r1")
            #expect(try store.function(named: "cached")?.revisionId == "r2")
            try store.deleteFunction(named: "cached")
            #expect(try store.function(named: "cached") == nil)
            try store.createFunction(makeFunction("cached", revision: "r3"))
            #expect(try store.function(named: "cached")?.revisionId == "r3")
            // A second store on the same directory reads the database, not this one's cache.
            let reopened = try SQLiteStore(dataDirectory: directory.path)
            #expect(try reopened.function(named: "cached")?.revisionId == "r3")
        }
    }

    @Test("an update with a stale revision fails its precondition and changes nothing")
    func updateStaleRevision() throws {
        try withStore { store, _ in
            let original = makeFunction("hello")
            try store.createFunction(original)

            let error = #expect(throws: StoreError.self) {
                try store.updateFunction(makeFunction("hello", revision: "r3"), expectedRevisionId: "r0")
            }

            #expect(error?.code == .preconditionFailed)
            #expect(try store.function(named: "hello") == original)
        }
    }

    @Test("updating a missing function is not found")
    func updateMissing() throws {
        try withStore { store, _ in
            let error = #expect(throws: StoreError.self) {
                try store.updateFunction(makeFunction("ghost"), expectedRevisionId: nil)
            }
            #expect(error?.code == .notFound)
        }
    }

    @Test("deleting a function removes every version")
    func deleteAllVersions() throws {
        try withStore { store, _ in
            try store.createFunction(makeFunction("hello"))
            try store.createFunction(makeFunction("hello", version: "1"))
            try store.createFunction(makeFunction("other"))

            #expect(try store.deleteFunction(named: "hello"))
            #expect(try !store.deleteFunction(named: "hello"))

            #expect(try store.functionVersions(named: "hello").isEmpty)
            #expect(try store.function(named: "other") != nil)
        }
    }

    @Test("deleting one version keeps the others")
    func deleteOneVersion() throws {
        try withStore { store, _ in
            try store.createFunction(makeFunction("hello"))
            try store.createFunction(makeFunction("hello", version: "1"))

            #expect(try store.deleteFunctionVersion(named: "hello", version: "1"))
            #expect(try !store.deleteFunctionVersion(named: "hello", version: "1"))
            #expect(try store.functionVersions(named: "hello").map(\.version) == ["$LATEST"])
        }
    }

    @Test("versions list $LATEST first, then numerically")
    func versionOrder() throws {
        try withStore { store, _ in
            for version in ["10", "2", "$LATEST", "1"] {
                try store.createFunction(makeFunction("hello", version: version))
            }
            #expect(try store.functionVersions(named: "hello").map(\.version) == ["$LATEST", "1", "2", "10"])
        }
    }

    @Test("listing pages through $LATEST records by name", arguments: [1, 7, 10, 25, 100])
    func listPages(limit: Int) throws {
        try withStore { store, _ in
            let names = (0..<25).map { String(format: "function-%02d", $0) }
            for name in names.shuffled() {
                try store.createFunction(makeFunction(name))
                try store.createFunction(makeFunction(name, version: "1"))
            }

            var listed: [FunctionRecord] = []
            var marker: String?
            while true {
                let page = try store.listFunctions(after: marker, limit: limit)
                #expect(page.count <= limit)
                listed += page
                guard page.count == limit, let last = page.last else { break }
                marker = last.name
            }

            #expect(listed.map(\.name) == names)
            #expect(listed.allSatisfy { $0.version == "$LATEST" })
        }
    }

    @Test("listing after the last name, or with no room, is empty")
    func listEmptyPages() throws {
        try withStore { store, _ in
            try store.createFunction(makeFunction("a"))
            #expect(try store.listFunctions(after: "a", limit: 10).isEmpty)
            #expect(try store.listFunctions(after: nil, limit: 0).isEmpty)
        }
    }

    @Test("functions survive closing and reopening the store")
    func persistence() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let record = makeFunction("durable")
        do {
            let store = try SQLiteStore(dataDirectory: directory.path)
            try store.createFunction(record)
            try store.updateFunction(makeFunction("durable", revision: "r2"), expectedRevisionId: "r1")
        }

        let reopened = try SQLiteStore(dataDirectory: directory.path)

        #expect(try reopened.function(named: "durable")?.revisionId == "r2")
        #expect(FileManager.default.fileExists(atPath: directory.path + "/store.sqlite"))
    }

    @Test("concurrent writers all succeed")
    func concurrentWriters() throws {
        try withStore { store, _ in
            DispatchQueue.concurrentPerform(iterations: 64) { index in
                #expect(throws: Never.self) { try store.createFunction(makeFunction("concurrent-\(index)")) }
            }
            let listed = try store.listFunctions(after: nil, limit: 100)
            #expect(listed.count == 64)
        }
    }
}
