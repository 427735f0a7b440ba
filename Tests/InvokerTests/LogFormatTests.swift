import Foundation
import Testing

@testable import Invoker

@Suite("Lambda log lines")
struct LogFormatTests {
    @Test("REPORT carries Duration, Billed Duration, Memory and Init Duration on a cold start")
    func coldReport() {
        let line = LogFormat.report(
            requestId: "r1", durationMilliseconds: 12.344, memoryMegabytes: 128, maxMemoryUsedMegabytes: 41,
            initDurationMilliseconds: 80.5)
        #expect(
            line == "REPORT RequestId: r1\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
                + "Max Memory Used: 41 MB\tInit Duration: 80.50 ms\t")
    }

    @Test(
        "durations are rounded to hundredths and always show two decimals",
        arguments: [
            (0.0, "0.00"), (0.004, "0.00"), (0.006, "0.01"), (1.5, "1.50"), (12.344, "12.34"), (12.346, "12.35"),
            (99.999, "100.00"), (3_600_000.1, "3600000.10"), (-0.001, "0.00"), (-2.5, "-2.50"),
            // Binary values just under a half, which `%.2f` rounds down.
            (1.115, "1.11"), (2.675, "2.67"),
        ])
    func twoDecimals(value: Double, text: String) {
        #expect(LogFormat.twoDecimals(value) == text)
    }

    @Test("a warm REPORT has no Init Duration; a timeout says so")
    func warmReport() {
        let line = LogFormat.report(
            requestId: "r2", durationMilliseconds: 1000, memoryMegabytes: 256, maxMemoryUsedMegabytes: 30,
            initDurationMilliseconds: nil, status: "timeout")
        #expect(!line.contains("Init Duration"))
        #expect(line.hasSuffix("Status: timeout\t"))
        #expect(line.contains("Billed Duration: 1000 ms"))
    }

    @Test("START and END name the request and version")
    func startEnd() {
        #expect(LogFormat.start(requestId: "abc", version: "$LATEST") == "START RequestId: abc Version: $LATEST")
        #expect(LogFormat.end(requestId: "abc") == "END RequestId: abc")
    }

    @Test("log stream names follow Lambda's date/[version]id shape")
    func streamName() throws {
        let name = LogFormat.streamName(version: "$LATEST", now: Date(timeIntervalSince1970: 1_790_000_000))
        let pattern = try Regex(#"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}"#)
        #expect(try pattern.wholeMatch(in: name) != nil)
        #expect(LogFormat.streamName(version: "$LATEST") != LogFormat.streamName(version: "$LATEST"))
    }
}

@Suite("Runtime catalog")
struct RuntimeCatalogTests {
    @Test("python runs Swiftlet's runtime client; provided runs the zip's bootstrap")
    func entryPoints() {
        #expect(
            RuntimeCatalog.entryPoint(runtime: "python3.11", codeDirectory: "/c", runtimesDirectory: "/r")
                == "/r/python/bootstrap")
        #expect(
            RuntimeCatalog.entryPoint(runtime: "provided.al2023", codeDirectory: "/c", runtimesDirectory: "/r")
                == "/c/bootstrap")
    }

    @Test("deprecated and supported runtimes do not overlap")
    func disjoint() {
        #expect(RuntimeCatalog.supported.isDisjoint(with: RuntimeCatalog.deprecated))
        #expect(RuntimeCatalog.supported.contains("python3.11"))
        #expect(!RuntimeCatalog.supported.contains("python2.7"))
    }
}
