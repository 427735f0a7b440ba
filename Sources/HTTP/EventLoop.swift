import CSystem
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Something registered with an event loop for readiness on one file descriptor.
///
/// Called only on the loop's thread.
public protocol EventLoopHandler: AnyObject {
    func handleEvents(_ events: UInt32)
}

/// An epoll-based event loop on one dedicated thread.
///
/// Every socket Swiftlet serves (the API listener, each environment's Runtime
/// API listener, every connection, every log pipe) is registered here, so
/// thousands of parked long polls cost a file descriptor each, not a thread.
/// Work from other threads enters through `execute`, which wakes the loop
/// through an eventfd.
public final class EventLoop: @unchecked Sendable {
    // @unchecked: `handlers` and `tickHandlers` are touched only on the loop
    // thread; `pending` is guarded by its mutex; the descriptors are immutable.
    private let epollDescriptor: Int32
    private let wakeDescriptor: Int32
    private var handlers: [Int32: EventLoopHandler] = [:]
    private var tickHandlers: [ObjectIdentifier: () -> Void] = [:]
    private var timers: [Timer] = []
    private var nextTimerID: UInt64 = 0
    private let pending = Mutex<[@Sendable () -> Void]>([])
    private let running = Atomic<Bool>(true)
    /// The loop thread's `pthread_t` (0 until it starts): read on every `execute`, so atomic.
    private let loopThreadID = Atomic<UInt>(0)
    private let stopped = DispatchSemaphore(value: 0)
    private let tickMilliseconds: Int32
    private let spin: Duration

    /// Creates the loop and starts its thread.
    /// - Parameters:
    ///   - tickMilliseconds: how often tick handlers (timeout sweeps) run.
    ///   - spinMicroseconds: how long the loop keeps polling, without sleeping, after its last
    ///     event. A loop that sleeps must be woken, and waking an idle CPU (an interrupt to it,
    ///     and on a virtual machine an exit to the hypervisor) costs tens of microseconds on
    ///     each side of every exchange; the answer to what the loop just sent (a runtime's
    ///     result, a client's next request) usually comes sooner than that. An idle loop never
    ///     spins: at most this much CPU is spent after each burst of activity.
    public init(
        name: String = "swiftlet-loop", tickMilliseconds: Int32 = 250, spinMicroseconds: Int = 0
    ) throws(SystemCallError) {
        self.tickMilliseconds = tickMilliseconds
        self.spin = .microseconds(max(0, spinMicroseconds))
        epollDescriptor = try systemCall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        do {
            wakeDescriptor = try systemCall("eventfd") {
                eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
            }
            var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeDescriptor))
            try systemCall("epoll_ctl") { epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event) }
        } catch {
            close(epollDescriptor)
            throw error
        }
        let thread = Thread { [self] in runLoop() }
        thread.name = name
        thread.start()
    }

    /// True when called on the loop's own thread.
    public var inEventLoop: Bool {
        let id = loopThreadID.load(ordering: .relaxed)
        return id != 0 && pthread_equal(pthread_t(id), pthread_self()) != 0
    }

    /// Runs `work` on the loop thread: now if already there, else soon.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        if inEventLoop {
            work()
        } else {
            enqueue(work)
        }
    }

    /// Queues `work` to run on the loop thread after what is already queued, even when
    /// called on the loop thread itself (never inline, so callers are not re-entered).
    public func enqueue(_ work: @escaping @Sendable () -> Void) {
        let wasEmpty = pending.withLock { queue in
            queue.append(work)
            return queue.count == 1
        }
        // The loop thread looks at the queue before it waits, so it needs no wake-up from itself.
        if wasEmpty, !inEventLoop {
            wake()
        }
    }

    /// Runs `work` on the loop thread and waits for its result.
    public func submit<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            execute { continuation.resume(with: Result { try work() }) }
        }
    }

    deinit {
        // Closed here rather than when the loop ends: a late `execute` from another thread
        // still writes to the eventfd, which must not be a number reused by another file.
        close(wakeDescriptor)
        close(epollDescriptor)
    }

    /// Stops the loop thread after the work queued so far; waits for it to end. Work queued
    /// after that never runs.
    public func shutdown() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        wake()
        if !inEventLoop {
            stopped.wait()
        }
    }

    // MARK: Registration (loop thread only)

    /// Watches `descriptor` for `events` (EPOLLIN, ...), calling `handler` on readiness.
    public func register(_ descriptor: Int32, events: UInt32, handler: EventLoopHandler) throws(SystemCallError) {
        var event = epoll_event(events: events, data: epoll_data_t(fd: descriptor))
        try systemCall("epoll_ctl") { epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, descriptor, &event) }
        handlers[descriptor] = handler
    }

    /// Changes the readiness events watched on a registered descriptor.
    public func modify(_ descriptor: Int32, events: UInt32) {
        var event = epoll_event(events: events, data: epoll_data_t(fd: descriptor))
        // Fails only if the descriptor is not registered, which is a bug.
        let result = epoll_ctl(epollDescriptor, EPOLL_CTL_MOD, descriptor, &event)
        assert(result == 0, "epoll_ctl MOD on an unregistered descriptor")
    }

    /// Removes `descriptor` from the loop. The caller still owns and closes it.
    public func unregister(_ descriptor: Int32) {
        guard handlers.removeValue(forKey: descriptor) != nil else { return }
        epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, descriptor, nil)
    }

    /// Calls `handler` on every tick until `removeTick(owner)`.
    public func addTick(owner: AnyObject, _ handler: @escaping () -> Void) {
        tickHandlers[ObjectIdentifier(owner)] = handler
    }

    public func removeTick(owner: AnyObject) {
        tickHandlers[ObjectIdentifier(owner)] = nil
    }

    // MARK: Timers (loop thread only)

    private struct Timer {
        var deadline: ContinuousClock.Instant
        var id: UInt64
        var work: () -> Void
    }

    /// Runs `work` on the loop thread after `delay`; returns an id for `cancelTimer`.
    @discardableResult
    public func scheduleTimer(after delay: Duration, _ work: @escaping () -> Void) -> UInt64 {
        precondition(inEventLoop, "timers are scheduled on the loop thread")
        nextTimerID += 1
        let timer = Timer(deadline: .now + delay, id: nextTimerID, work: work)
        let index = timers.firstIndex { $0.deadline > timer.deadline } ?? timers.endIndex
        timers.insert(timer, at: index)
        return timer.id
    }

    public func cancelTimer(_ id: UInt64) {
        timers.removeAll { $0.id == id }
    }

    private func waitMilliseconds() -> Int32 {
        guard let first = timers.first else { return tickMilliseconds }
        let remaining = first.deadline - .now
        let milliseconds =
            remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(0, min(Int64(tickMilliseconds), milliseconds + 1)))
    }

    private func runDueTimers() {
        let now = ContinuousClock.now
        while let first = timers.first, first.deadline <= now {
            timers.removeFirst()
            first.work()
        }
    }

    // MARK: The loop

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, 8)
    }

    private func runLoop() {
        loopThreadID.store(UInt(pthread_self()), ordering: .relaxed)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var nextTick = ContinuousClock.now + .milliseconds(Int(tickMilliseconds))
        var lastEvent = ContinuousClock.now
        while running.load(ordering: .acquiring) {
            var count: Int32 = 0
            if pending.withLock({ !$0.isEmpty }) {
                // Work is waiting: look at the descriptors without sleeping or spinning.
                count = epoll_wait(epollDescriptor, &events, Int32(events.count), 0)
            } else {
                if spin > .zero {
                    repeat {
                        count = epoll_wait(epollDescriptor, &events, Int32(events.count), 0)
                    } while count == 0 && ContinuousClock.now - lastEvent < spin
                }
                if count == 0 {
                    count = epoll_wait(epollDescriptor, &events, Int32(events.count), waitMilliseconds())
                }
            }
            if count > 0, spin > .zero {
                lastEvent = .now
            }
            for index in 0..<max(0, Int(count)) {
                dispatch(events[index])
            }
            runDueTimers()
            if ContinuousClock.now >= nextTick {
                nextTick = ContinuousClock.now + .milliseconds(Int(tickMilliseconds))
                for handler in Array(tickHandlers.values) {
                    handler()
                }
            }
            // Last, so that what events, timers and ticks queued runs in this turn too.
            runPending()
        }
        runPending()
        stopped.signal()
    }

    private func dispatch(_ event: epoll_event) {
        let descriptor = event.data.fd
        if descriptor == wakeDescriptor {
            var value: UInt64 = 0
            _ = read(wakeDescriptor, &value, 8)
            return
        }
        handlers[descriptor]?.handleEvents(event.events)
    }

    /// Runs what was queued when it was called. Work that this queues runs at the next turn,
    /// after the descriptors have been looked at, so a task that keeps queueing itself cannot
    /// starve the sockets.
    private func runPending() {
        let work = pending.withLock { queue -> [@Sendable () -> Void] in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        for item in work {
            item()
        }
    }
}

/// The loop as a task executor: a task started with `Task(executorPreference: loop)` runs
/// its code on the loop thread, and resumes there after each suspension, so a request whose
/// whole life is loop work (a warm invoke: routing, placement, the Runtime API exchange,
/// the reply) never waits for a thread hand-off. Such tasks must not block: nothing in
/// them may sleep, wait on a lock held across I/O, or do long computation.
extension EventLoop: TaskExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        enqueue { [self] in job.runSynchronously(on: asUnownedTaskExecutor()) }
    }
}
