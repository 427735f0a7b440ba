import Testing

@testable import Archive

@Suite("Entry path rules")
struct EntryPathTests {
    @Test(
        "safe names are normalised",
        arguments: [
            ("a.txt", "a.txt"), ("./a.txt", "a.txt"), ("dir/", "dir"), ("a//b/./c", "a/b/c"),
            ("./", ""), (".", ""), ("name..with..dots", "name..with..dots"), ("...", "..."),
        ]
    )
    func normalises(raw: String, expected: String) throws {
        #expect(try EntryPath.normalise(raw) == expected)
    }

    @Test(
        "escaping names are refused",
        arguments: ["/abs", "//abs", "..", "../a", "a/../b", "a/..", "./../a"]
    )
    func refuses(raw: String) {
        let error = #expect(throws: ArchiveError.self) { try EntryPath.normalise(raw) }
        #expect(error?.code == .unsafeEntry)
    }

    @Test("ancestors run from the root down")
    func ancestors() {
        #expect(EntryPath.ancestors(of: "a/b/c") == ["a", "a/b"])
        #expect(EntryPath.ancestors(of: "a").isEmpty)
    }

    @Test(
        "links resolve through the archive's own links",
        arguments: [
            (["l": "target"], "l", "target"),
            (["d/l": "../x"], "d/l", "x"),
            (["d/l": "."], "d/l", "d"),
            (["b": "c/d", "a": "b/../e"], "a", "c/e"),
            (["b": "c", "a": "b/../../d"], "a", nil),
            (["a": "..", "b": "a"], "b", nil),
        ] as [([String: String], String, String?)]
    )
    func resolves(links: [String: String], link: String, expected: String?) {
        let resolved = try? EntryPath.resolveLink(at: link, links: links)
        #expect(resolved == expected)
    }

    @Test("a long chain of links is refused")
    func longChain() {
        var links: [String: String] = [:]
        for index in 0..<50 { links["l\(index)"] = "l\(index + 1)" }
        let error = #expect(throws: ArchiveError.self) { try EntryPath.resolveLink(at: "l0", links: links) }
        #expect(error?.description.contains("chain") == true)
    }

    @Test(
        "permissions default when the zip carries none",
        arguments: [(0, 0o644), (0o755, 0o755), (0o200, 0o600), (0o666, 0o644), (0o664, 0o644)]
    )
    func filePermissions(zip: UInt32, expected: UInt32) {
        #expect(ZipExtractor.filePermissions(zip) == expected)
    }

    @Test("directories without permissions get 0755", arguments: [(0, 0o755), (0o111, 0o755), (0o700, 0o700)])
    func directoryPermissions(zip: UInt32, expected: UInt32) {
        #expect(ZipExtractor.directoryPermissions(zip) == expected)
    }
}
