import Foundation
import Testing

@testable import Store

@Suite("Schema migrations")
struct MigrationTests {
    @Test("reopening an up-to-date store applies nothing and keeps data")
    func idempotentReopen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try SQLiteStore(dataDirectory: directory.path).createFunction(makeFunction("kept"))

        for _ in 0..<3 {
            let store = try SQLiteStore(dataDirectory: directory.path)
            #expect(try store.function(named: "kept") != nil)
            #expect(try schemaVersion(store) == Migrations.all.count)
        }
    }

    @Test("only migrations newer than the recorded version run")
    func appliesOnlyNewMigrations() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try SQLiteDatabase(path: directory.path + "/test.sqlite")
        let first = ["CREATE TABLE one (x INTEGER)"]
        let both = first + ["CREATE TABLE two (y INTEGER)"]

        #expect(try Migrations.apply(to: database, migrations: first) == 1)
        // Re-running "CREATE TABLE one" would fail, so success shows it was skipped.
        #expect(try Migrations.apply(to: database, migrations: both) == 2)
        #expect(try Migrations.apply(to: database, migrations: both) == 2)
        #expect(try database.query("SELECT count(*) FROM two") { $0.int(0) } == [0])
    }

    @Test("a failing migration leaves the database at its old version")
    func failedMigrationRollsBack() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try SQLiteDatabase(path: directory.path + "/test.sqlite")
        try Migrations.apply(to: database, migrations: ["CREATE TABLE one (x INTEGER)"])

        let error = #expect(throws: StoreError.self) {
            try Migrations.apply(
                to: database, migrations: ["CREATE TABLE one (x INTEGER)", "CREATE TABLE two (y); NOT SQL"])
        }

        #expect(error?.code == .sqlite)
        #expect(try database.query("SELECT version FROM schema_version") { $0.int(0) } == [1])
        let tables = try database.query("SELECT name FROM sqlite_master WHERE name = 'two'") { $0.text(0) }
        #expect(tables.isEmpty)
    }

    @Test("a database from a newer build is refused")
    func newerSchemaRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try SQLiteDatabase(path: directory.path + "/test.sqlite")
        try Migrations.apply(to: database, migrations: ["SELECT 1", "SELECT 2"])

        let error = #expect(throws: StoreError.self) {
            try Migrations.apply(to: database, migrations: ["SELECT 1"])
        }
        #expect(error?.code == .corrupt)
    }

    @Test("the connection runs in WAL mode with full synchronous commits and foreign keys")
    func pragmas() throws {
        try withStore { store, _ in
            let settings = try store.withDatabase { database throws(StoreError) in
                [
                    try database.query("PRAGMA journal_mode") { $0.text(0) }.first,
                    try database.query("PRAGMA synchronous") { $0.text(0) }.first,
                    try database.query("PRAGMA foreign_keys") { $0.text(0) }.first,
                ]
            }
            #expect(settings == ["wal", "2", "1"])
        }
    }

    @Test("a file that is not a database is reported as corrupt")
    func notADatabase() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = URL(fileURLWithPath: directory.path + "/store.sqlite")
        try Data(repeating: 0x41, count: 8192).write(to: file)

        let error = #expect(throws: StoreError.self) { try SQLiteStore(dataDirectory: directory.path) }
        #expect(error?.code == .corrupt)
    }

    private func schemaVersion(_ store: SQLiteStore) throws -> Int? {
        try store.withDatabase { database throws(StoreError) in
            try database.query("SELECT version FROM schema_version") { $0.int(0) }.first
        }
    }
}
