import Store
import Testing

@testable import ControlAPI

@Suite("Alias routing")
struct AliasRoutingTests {
    @Test("without weights every invocation runs the primary version")
    func noWeights() {
        for roll in [0.0, 0.5, 0.999] {
            #expect(AliasRouting.version(primary: "1", weights: [:], roll: roll) == "1")
        }
    }

    @Test(
        "a weight takes its share of the range and the primary the rest",
        arguments: [(0.0, "2"), (0.29, "2"), (0.3, "1"), (0.99, "1")])
    func split(roll: Double, expected: String) {
        #expect(AliasRouting.version(primary: "1", weights: ["2": 0.3], roll: roll) == expected)
    }

    @Test("weights of 0 and 1 send nothing and everything")
    func extremes() {
        #expect(AliasRouting.version(primary: "1", weights: ["2": 0], roll: 0) == "1")
        #expect(AliasRouting.version(primary: "1", weights: ["2": 1], roll: 0.999) == "2")
    }

    @Test("many draws land near the weight")
    func distribution() {
        var counts: [String: Int] = [:]
        for index in 0..<1000 {
            let roll = (Double(index) + 0.5) / 1000
            counts[AliasRouting.version(primary: "1", weights: ["2": 0.25], roll: roll), default: 0] += 1
        }
        #expect(counts == ["1": 750, "2": 250])
    }
}

@Suite("Alias names")
struct AliasNameTests {
    @Test(
        "qualifiers that are all digits or $LATEST are versions, others aliases",
        arguments: [("$LATEST", false), ("1", false), ("42", false), ("live", true), ("v1", true), ("1a", true)])
    func aliasNames(qualifier: String, isAlias: Bool) {
        #expect(LambdaService.isAliasName(qualifier) == isAlias)
    }

    @Test("names made only of digits are refused", arguments: ["123", "", String(repeating: "a", count: 129), "a b"])
    func refused(name: String) {
        var validator = Validator()
        AliasSettings.checkName(name, &validator)
        #expect(!validator.violations.isEmpty)
    }

    @Test("ordinary names pass", arguments: ["live", "blue-green", "v_2", "1a"])
    func accepted(name: String) {
        var validator = Validator()
        AliasSettings.checkName(name, &validator)
        #expect(validator.violations.isEmpty)
    }
}

@Suite("Version snapshots")
struct VersionSnapshotTests {
    private func record(code: String = "abc", timeout: Int = 3) -> FunctionRecord {
        FunctionRecord(
            name: "f", runtime: "python3.11", role: "arn:aws:iam::123456789012:role/r", handler: "app.handler",
            timeoutSeconds: timeout, codeSha256Hex: code, codeSha256: code, codeSizeBytes: 1,
            lastModifiedMilliseconds: 1, revisionId: "r1", accountId: "123456789012", region: "us-east-1")
    }

    @Test("a version made from $LATEST counts as unchanged despite its own number, revision and time")
    func unchanged() {
        var published = record()
        published.version = "3"
        published.revisionId = "r2"
        published.lastModifiedMilliseconds = 99
        published.description = "release"
        #expect(VersionSnapshot.isUnchanged(record(), since: published))
    }

    @Test("new code or configuration is a change")
    func changed() {
        var published = record()
        published.version = "1"
        #expect(!VersionSnapshot.isUnchanged(record(code: "def"), since: published))
        #expect(!VersionSnapshot.isUnchanged(record(timeout: 9), since: published))
        var traced = record()
        traced.tracingMode = "Active"
        #expect(!VersionSnapshot.isUnchanged(traced, since: published))
    }
}

@Suite("Pagination")
struct PaginationTests {
    private let versions = ["$LATEST", "1", "2", "3", "5"]

    private func page(_ marker: String?, _ maxItems: Int?) -> Page<String> {
        Pagination.page(
            versions, marker: marker, maxItems: maxItems, key: { $0 },
            isAfter: { Pagination.versionRank($0) > Pagination.versionRank($1) })
    }

    @Test("pages follow markers to the end, with no marker on the last")
    func walk() {
        let first = page(nil, 2)
        #expect(first.items == ["$LATEST", "1"])
        #expect(first.nextMarker == "1")
        let second = page(first.nextMarker, 2)
        #expect(second.items == ["2", "3"])
        let third = page(second.nextMarker, 2)
        #expect(third.items == ["5"])
        #expect(third.nextMarker == nil)
    }

    @Test("a marker whose item was deleted still continues after it")
    func deletedMarker() {
        #expect(page("4", 10).items == ["5"])
    }

    @Test("pages hold at most 50 items whatever MaxItems asks")
    func largestPage() {
        let many = (1...120).map(String.init)
        let page = Pagination.page(many, marker: nil, maxItems: 1000, key: { $0 }, isAfter: { Int($0)! > Int($1)! })
        #expect(page.items.count == 50)
        #expect(page.nextMarker == "50")
    }

    @Test("MaxItems outside 1...10000 is a validation error", arguments: ["0", "10001", "x"])
    func badMaxItems(value: String) {
        #expect(throws: AWSError.self) { try Pagination.maxItems(["MaxItems": value]) }
    }
}

@Suite("Tags")
struct TagValidationTests {
    @Test("reserved, too many and too long tags are refused")
    func refused() {
        #expect(throws: AWSError.self) { try LambdaService.validatedTags(["aws:x": "1"]) }
        let many = JSONValue.object(
            Dictionary(uniqueKeysWithValues: (0..<51).map { ("k\($0)", JSONValue.string("v")) }))
        #expect(throws: AWSError.self) { try LambdaService.validatedTags(many) }
        #expect(throws: AWSError.self) {
            try LambdaService.validatedTags(["k": .string(String(repeating: "v", count: 257))])
        }
    }

    @Test("repeated query keys are all read")
    func repeatedKeys() {
        #expect(LambdaService.queryValues("tagKeys=a&tagKeys=b%20c&other=1", "tagKeys") == ["a", "b c"])
    }
}
