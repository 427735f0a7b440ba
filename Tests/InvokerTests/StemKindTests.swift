import Testing

@testable import Invoker

@Suite("Stem cell kinds")
struct StemKindTests {
    private func node(_ megabytes: Int) -> StemKind { StemKind(runtime: "nodejs20.x", memoryMegabytes: megabytes) }

    @Test("a function's runtime and memory size pick its kind; custom runtimes use Python's")
    func kinds() {
        #expect(
            StemCellPool.stemKind(runtime: "python3.11", memoryMegabytes: 512)
                == StemKind(runtime: "python3.11", memoryMegabytes: nil))
        #expect(StemCellPool.stemKind(runtime: "nodejs20.x", memoryMegabytes: 512) == node(512))
        #expect(StemCellPool.stemKind(runtime: "provided.al2023", memoryMegabytes: 256)?.runtime == "python3.11")
        #expect(StemCellPool.stemKind(runtime: "java17", memoryMegabytes: 512) == nil)
        #expect(StemCellPool.stemKind(runtime: nil, memoryMegabytes: 512) == nil)
    }

    @Test("stem cells are charged what a waiting one of their runtime resides in")
    func charges() {
        #expect(StemKind.python.memoryChargeBytes == 16 * 1_048_576)
        #expect(node(128).memoryChargeBytes == 48 * 1_048_576)
        #expect(node(10_240).memoryChargeBytes == node(128).memoryChargeBytes)
    }

    @Test("sizes are learned up to the limit, and a new one replaces only one unused for a minute")
    func learnedSizes() {
        let start = ContinuousClock.now
        var (kept, dropped) = StemCellPool.sizedKinds([], noting: node(128), at: start)
        (kept, dropped) = StemCellPool.sizedKinds(kept, noting: node(512), at: start + .seconds(1))
        #expect(kept.map(\.kind) == [node(512), node(128)] && dropped.isEmpty)

        // A third size while both are in use: nothing changes, nothing is stopped.
        (kept, dropped) = StemCellPool.sizedKinds(kept, noting: node(1024), at: start + .seconds(30))
        #expect(kept.map(\.kind) == [node(512), node(128)] && dropped.isEmpty)

        // Using 128 again makes it the most recent; 512 then goes unused for over a minute.
        (kept, dropped) = StemCellPool.sizedKinds(kept, noting: node(128), at: start + .seconds(40))
        #expect(kept.map(\.kind) == [node(128), node(512)])
        (kept, dropped) = StemCellPool.sizedKinds(kept, noting: node(1024), at: start + .seconds(62))
        #expect(kept.map(\.kind) == [node(1024), node(128)])
        #expect(dropped == [node(512)])
    }
}
