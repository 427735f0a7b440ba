import Dispatch
import Synchronization
import Testing

@testable import HTTP

@Suite("Event loop")
struct EventLoopTests {
    @Test("a task that prefers the loop runs on its thread, and comes back to it after a suspension")
    func taskExecutor() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let observed = await Task(executorPreference: loop) { () -> [Bool] in
            let before = loop.inEventLoop
            // Resumed from a thread of the global pool: the task must still continue on the loop.
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume() }
            }
            return [before, loop.inEventLoop]
        }.value
        #expect(observed == [true, true])
    }

    @Test("a task without the preference runs off the loop thread")
    func withoutPreference() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let onLoop = await Task { loop.inEventLoop }.value
        #expect(!onLoop)
    }

    @Test("work enqueued on the loop thread runs after the current work, not inside it")
    func enqueueIsNeverInline() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let order = Mutex<[String]>([])
        try await loop.submit {
            loop.enqueue { order.withLock { $0.append("enqueued") } }
            loop.execute { order.withLock { $0.append("executed inline") } }
            order.withLock { $0.append("caller") }
        }
        // The enqueued work has run by the time a later submission returns.
        try await loop.submit {}
        #expect(order.withLock { $0 } == ["executed inline", "caller", "enqueued"])
    }
}
