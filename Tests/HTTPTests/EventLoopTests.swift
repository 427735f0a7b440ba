import Dispatch
import Synchronization
import Testing

@testable import HTTP

#if canImport(Glibc)
    import Glibc
#endif

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

    // The two tests below time the loop on its own thread: the test's task may resume late
    // when other tests keep the shared pool busy, but the loop's own clock readings do not.

    @Test("work a timer queues on the loop runs in that turn, not at the next tick")
    func timerQueuedWork() async throws {
        let loop = try EventLoop(tickMilliseconds: 5_000)
        defer { loop.shutdown() }
        let delay = await withCheckedContinuation { (continuation: CheckedContinuation<Duration, Never>) in
            loop.execute {
                loop.scheduleTimer(after: .milliseconds(10)) {
                    let fired = ContinuousClock.now
                    loop.enqueue { continuation.resume(returning: ContinuousClock.now - fired) }
                }
            }
        }
        // Left for the next tick, it would have waited five seconds.
        #expect(delay < .seconds(1))
    }

    @Test("work that keeps queueing itself does not starve timers")
    func noStarvation() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let stop = Atomic<Bool>(false)
        @Sendable func again() {
            guard !stop.load(ordering: .relaxed) else { return }
            loop.enqueue { again() }
        }
        let lateness = await withCheckedContinuation { (continuation: CheckedContinuation<Duration, Never>) in
            loop.execute {
                again()
                let due = ContinuousClock.now + .milliseconds(10)
                loop.scheduleTimer(after: .milliseconds(10)) {
                    stop.store(true, ordering: .relaxed)
                    continuation.resume(returning: ContinuousClock.now - due)
                }
            }
        }
        // Starved, the timer would never fire and this test would not return.
        #expect(lateness < .seconds(1))
    }

    @Test("a spinning loop still runs work and timers, and spins only right after activity")
    func spinning() async throws {
        let loop = try EventLoop(spinMicroseconds: 2_000)
        defer { loop.shutdown() }
        let fired = Mutex(false)
        try await loop.submit {
            loop.scheduleTimer(after: .milliseconds(5)) { fired.withLock { $0 = true } }
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(fired.withLock { $0 })

        // Idle for 300 ms after a 2 ms spin: the loop thread must have slept through nearly all
        // of it (a loop that never stopped spinning would use the whole 300 ms).
        let before = try await loop.submit { Self.threadCPUMilliseconds() }
        try await Task.sleep(for: .milliseconds(300))
        let after = try await loop.submit { Self.threadCPUMilliseconds() }
        #expect(after - before < 60)
    }

    /// CPU time of the calling thread so far.
    static func threadCPUMilliseconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1_000_000
    }
}
