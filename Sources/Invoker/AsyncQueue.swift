import Dispatch
import Foundation
import Store
import Synchronization

/// Settings of asynchronous delivery; each is a `swiftlet serve` option.
public struct AsyncQueueConfiguration: Sendable {
    /// Delay before the first retry of a function error; the second waits twice as long
    /// (AWS: about one minute, then two).
    public var retryBaseDelay: Duration = .seconds(60)
    /// Deliveries running at once across all functions.
    public var maximumConcurrentDeliveries = 64
    /// Deliveries running at once for one function.
    public var maximumConcurrentDeliveriesPerFunction = 32
    /// Longest wait between retries of a throttled or failed placement.
    public var maximumBackoff: Duration = .seconds(300)

    public init() {}
}

/// Counters an operator reads from `/metrics`.
public struct AsyncQueueMetrics: Sendable {
    public var accepted = 0
    public var succeeded = 0
    public var retried = 0
    public var sentToDestination = 0
    public var dropped = 0
    public var queued = 0
}

/// Resolves what an asynchronous event runs; nil when the function or qualifier is gone.
public typealias AsyncTargetResolver = @Sendable (_ functionName: String, _ qualifier: String) -> InvocationTarget?

/// The asynchronous invocation queue: accepts events durably (group commit),
/// delivers them at least once, retries function errors and throttles as Lambda
/// does, and routes outcomes to destinations.
public final class AsyncQueue: Sendable {
    private let store: any AsyncEventStore
    private let invoker: Invoker
    private let configuration: AsyncQueueConfiguration
    private let resolve: AsyncTargetResolver
    private let flushLogs: @Sendable () -> Void
    private let committer: BatchCommitter<AsyncEvent, AsyncEvent>
    private let completer: BatchCommitter<AsyncCompletion, [AsyncEvent]>
    private let dispatcher: Dispatcher
    private let counters = Counters()

    /// The counters, in a box that the committer's callback shares with the queue.
    private final class Counters: Sendable {
        let value = Mutex(AsyncQueueMetrics())
    }

    public init(
        store: any AsyncEventStore, invoker: Invoker, configuration: AsyncQueueConfiguration,
        flushLogs: @escaping @Sendable () -> Void = {}, resolve: @escaping AsyncTargetResolver
    ) {
        self.store = store
        self.invoker = invoker
        self.configuration = configuration
        self.flushLogs = flushLogs
        self.resolve = resolve
        let dispatcher = Dispatcher(configuration: configuration)
        self.dispatcher = dispatcher
        let counters = counters
        self.committer = BatchCommitter(
            name: "swiftlet-async-enqueue",
            commit: { events throws(StoreError) in try store.enqueueAsyncEvents(events) },
            // Counted before the dispatcher can deliver any of them (so the queued gauge never
            // dips below zero); the whole batch reaches the dispatcher in one step, and no
            // request waits for it.
            committed: { stored in
                counters.value.withLock {
                    $0.accepted += stored.count
                    $0.queued += stored.count
                }
                Task { await dispatcher.add(stored) }
            })
        self.completer = BatchCommitter(name: "swiftlet-async-complete") { completions throws(StoreError) in
            // An event leaves the queue only after its invocation's log lines are stored,
            // so its logs are evidence of delivery even across a kill -9.
            flushLogs()
            return try store.completeAsyncEvents(completions)
        }
    }

    /// Loads what was queued before a restart (including events that were being
    /// delivered when the process died: they are delivered again) and starts delivering.
    public func start() throws {
        let recovered = try store.allAsyncEvents()
        counters.value.withLock { $0.queued = recovered.count }
        let handler: @Sendable (AsyncEvent) async -> Void = { [self] event in await self.deliver(event) }
        let dispatcher = dispatcher
        // Unstructured: the dispatcher lives as long as the server; events enqueued
        // before it starts wait in it and are pumped when it does.
        Task { await dispatcher.start(deliver: handler, with: recovered) }
    }

    /// Stores `event` durably and schedules it; returns once it is on disk.
    public func enqueue(_ event: AsyncEvent) async throws(StoreError) -> AsyncEvent {
        try await committer.submit(event)
    }

    /// A snapshot of the counters.
    public func currentMetrics() -> AsyncQueueMetrics {
        counters.value.withLock { $0 }
    }

    // MARK: Delivery

    private func deliver(_ queued: AsyncEvent) async {
        var event = queued
        let settings = self.settings(for: event)
        let now = epochMilliseconds()
        guard let target = resolve(event.functionName, event.qualifier) else {
            OperatorLog.warning(
                "dropping an asynchronous event: its function no longer exists",
                ["event.request_id": event.requestId, "function.name": event.functionName])
            await finish(event, followUps: [], outcome: \.dropped)
            return
        }
        let functionArn = Self.qualifiedArn(target, qualifier: event.qualifier)
        if now - event.enqueuedMilliseconds > Int64(settings.maximumAgeSeconds) * 1000 {
            await fail(event, functionArn: functionArn, condition: .eventAgeExceeded, result: nil, settings: settings)
            return
        }
        let result: InvokeResult
        do {
            result = try await invoker.invoke(target, InvokeRequest(requestId: event.requestId, payload: event.payload))
        } catch  where error.code == .shuttingDown {
            return  // Still on disk; delivered after the restart.
        } catch {
            // Reserved concurrency 0 turns a function off: its events go straight to
            // the failure path, without retries, as on AWS.
            if error.reason == "ReservedFunctionConcurrentInvocationLimitExceeded",
                await invoker.reservedConcurrency(of: event.functionName) == 0
            {
                await fail(
                    event, functionArn: functionArn, condition: .retriesExhausted, result: nil, settings: settings)
                return
            }
            await retryPlacement(event)
            return
        }
        event.attempts += 1
        if result.functionError == nil {
            let records = settings.onSuccess.map {
                destinationEvent(
                    for: event, destination: $0, functionArn: functionArn, condition: .success, result: result)
            }
            await finish(event, followUps: records.map { [$0] } ?? [], outcome: \.succeeded)
        } else if event.attempts > settings.maximumRetryAttempts {
            await fail(
                event, functionArn: functionArn, condition: .retriesExhausted, result: result, settings: settings)
        } else {
            let delay = configuration.retryBaseDelay * event.attempts
            reschedule(event, after: delay)
        }
    }

    private func fail(
        _ event: AsyncEvent, functionArn: String, condition: DestinationRecord.Condition, result: InvokeResult?,
        settings: Settings
    ) async {
        guard let destination = settings.onFailure else {
            OperatorLog.warning(
                "dropping an asynchronous event: it failed and has no failure destination",
                [
                    "event.request_id": event.requestId, "function.name": event.functionName,
                    "event.condition": condition.rawValue,
                ])
            await finish(event, followUps: [], outcome: \.dropped)
            return
        }
        let record = destinationEvent(
            for: event, destination: destination, functionArn: functionArn, condition: condition, result: result)
        await finish(event, followUps: [record], outcome: \.sentToDestination)
    }

    private func finish(
        _ event: AsyncEvent, followUps: [AsyncEvent], outcome: WritableKeyPath<AsyncQueueMetrics, Int>
    ) async {
        do {
            let stored = try await completer.submit(AsyncCompletion(id: event.id, followUps: followUps))
            counters.value.withLock {
                $0[keyPath: outcome] += 1
                $0.queued += stored.count - 1
            }
            await dispatcher.done(event, adding: stored)
        } catch {
            // The event stays on disk and is delivered again after a restart.
            OperatorLog.warning("could not record an asynchronous outcome", ["event.request_id": event.requestId])
            await dispatcher.done(event, adding: [])
        }
    }

    private func reschedule(_ event: AsyncEvent, after delay: Duration) {
        var next = event
        next.nextAttemptMilliseconds =
            epochMilliseconds() + Int64(delay.components.seconds * 1000)
            + delay.components.attoseconds / 1_000_000_000_000_000
        try? store.rescheduleAsyncEvent(
            id: next.id, attempts: next.attempts, nextAttemptMilliseconds: next.nextAttemptMilliseconds)
        counters.value.withLock { $0.retried += 1 }
        let dispatcher = dispatcher
        Task { await dispatcher.done(event, adding: [next]) }
    }

    /// Throttles and placement failures back off exponentially until the event's maximum age.
    private func retryPlacement(_ event: AsyncEvent) async {
        let placements = await dispatcher.notePlacementFailure(event.id)
        let seconds = min(Double(configuration.maximumBackoff.components.seconds), pow(2, Double(placements - 1)))
        reschedule(event, after: .milliseconds(Int(seconds * 1000)))
    }

    // MARK: Settings and destinations

    private struct Settings {
        var maximumRetryAttempts = 2
        var maximumAgeSeconds = 21_600
        var onSuccess: String?
        var onFailure: String?
    }

    private func settings(for event: AsyncEvent) -> Settings {
        var settings = Settings()
        guard
            let record = (try? store.eventInvokeConfig(functionName: event.functionName, qualifier: event.qualifier))
                ?? nil
        else { return settings }
        settings.maximumRetryAttempts = record.maximumRetryAttempts ?? 2
        settings.maximumAgeSeconds = record.maximumEventAgeSeconds ?? 21_600
        settings.onSuccess = record.onSuccessDestination
        settings.onFailure = record.onFailureDestination
        return settings
    }

    private func destinationEvent(
        for event: AsyncEvent, destination: String, functionArn: String, condition: DestinationRecord.Condition,
        result: InvokeResult?
    ) -> AsyncEvent {
        let parts = destination.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let name = parts.count > 6 ? parts[6] : destination
        let qualifier = parts.count > 7 ? parts[7] : "$LATEST"
        let now = epochMilliseconds()
        return AsyncEvent(
            requestId: UUID().uuidString.lowercased(), functionName: name, qualifier: qualifier,
            payload: DestinationRecord.make(
                event: event, functionArn: functionArn, condition: condition, result: result),
            enqueuedMilliseconds: now, nextAttemptMilliseconds: now)
    }

    private static func qualifiedArn(_ target: InvocationTarget, qualifier: String) -> String {
        let function = target.function
        return "arn:aws:lambda:\(function.region):\(function.accountId):function:\(function.name):\(qualifier)"
    }
}

/// Runs concurrent submissions as batches on one dedicated thread: the first
/// submitter's transaction carries everyone who arrived while the previous one
/// ran, so one fsync (or one WAL write) serves many events.
final class BatchCommitter<Item: Sendable, Output: Sendable>: Sendable {
    private struct Waiter {
        var item: Item
        var continuation: CheckedContinuation<Output, any Error>
    }

    private let commit: @Sendable ([Item]) throws(StoreError) -> [Output]
    private let committed: @Sendable ([Output]) -> Void
    private let pending = Mutex<[Waiter]>([])
    private let wake = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - commit: writes a batch; returns one output per item, in order.
    ///   - committed: told of each batch once it is written, before its submitters resume.
    init(
        name: String, commit: @escaping @Sendable ([Item]) throws(StoreError) -> [Output],
        committed: @escaping @Sendable ([Output]) -> Void = { _ in }
    ) {
        self.commit = commit
        self.committed = committed
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func submit(_ item: Item) async throws(StoreError) -> Output {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let first = pending.withLock { waiters in
                    waiters.append(Waiter(item: item, continuation: continuation))
                    return waiters.count == 1
                }
                if first {
                    wake.signal()
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "could not write to the queue")
        }
    }

    /// The committer thread lives as long as the process; it sleeps while idle.
    private func run() {
        while true {
            wake.wait()
            while true {
                let batch = pending.withLock { waiters -> [Waiter] in
                    defer { waiters.removeAll(keepingCapacity: true) }
                    return waiters
                }
                if batch.isEmpty {
                    break
                }
                do {
                    let outputs = try commit(batch.map(\.item))
                    committed(outputs)
                    for (waiter, output) in zip(batch, outputs) {
                        waiter.continuation.resume(returning: output)
                    }
                } catch {
                    for waiter in batch {
                        waiter.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }
}

/// Decides which queued event runs next: due events in arrival (id) order, within the
/// global and per-function delivery limits.
///
/// Due events wait in one queue per function and future ones (retries) in a list sorted by
/// due time, so each step costs the number of functions with waiting events, never the number
/// of events: a burst of thousands of events for a function at its delivery limit must not
/// make every later arrival scan them all.
actor Dispatcher {
    private let configuration: AsyncQueueConfiguration
    /// Events whose time has come, per function, oldest first.
    private var due: [String: EventQueue] = [:]
    /// Events to retry later, soonest first (then by id).
    private var later: [AsyncEvent] = []
    private var running: [String: Int] = [:]
    private var runningTotal = 0
    private var placementFailures: [Int64: Int] = [:]
    private var deliver: (@Sendable (AsyncEvent) async -> Void)?
    private var timer: Task<Void, Never>?
    private var timerDeadline: Int64 = .max

    init(configuration: AsyncQueueConfiguration) {
        self.configuration = configuration
    }

    func start(deliver: @escaping @Sendable (AsyncEvent) async -> Void, with recovered: [AsyncEvent]) {
        self.deliver = deliver
        add(recovered)
    }

    func add(_ events: [AsyncEvent]) {
        let now = epochMilliseconds()
        for event in events {
            if event.nextAttemptMilliseconds > now {
                scheduleLater(event)
            } else {
                due[event.functionName, default: EventQueue()].insert(event)
            }
        }
        pump()
    }

    func done(_ event: AsyncEvent, adding events: [AsyncEvent]) {
        running[event.functionName, default: 1] -= 1
        runningTotal -= 1
        if events.allSatisfy({ $0.id != event.id }) {
            placementFailures[event.id] = nil
        }
        add(events)
    }

    func notePlacementFailure(_ id: Int64) -> Int {
        placementFailures[id, default: 0] += 1
        return placementFailures[id, default: 1]
    }

    /// Events waiting (due or later), for tests.
    var waitingCount: Int {
        due.values.reduce(later.count) { $0 + $1.count }
    }

    private func scheduleLater(_ event: AsyncEvent) {
        let key = (event.nextAttemptMilliseconds, event.id)
        var index = later.endIndex
        while index > later.startIndex, (later[index - 1].nextAttemptMilliseconds, later[index - 1].id) > key {
            index -= 1
        }
        later.insert(event, at: index)
    }

    private func pump() {
        guard let deliver else { return }
        let now = epochMilliseconds()
        let becameDue = later.prefix { $0.nextAttemptMilliseconds <= now }.count
        for event in later.prefix(becameDue) {
            due[event.functionName, default: EventQueue()].insert(event)
        }
        later.removeFirst(becameDue)
        while runningTotal < configuration.maximumConcurrentDeliveries, let function = nextFunction() {
            guard let event = due[function]?.removeFirst() else { break }
            if due[function]?.isEmpty == true {
                due[function] = nil
            }
            running[function, default: 0] += 1
            runningTotal += 1
            Task { await deliver(event) }
        }
        armTimer()
    }

    /// The function whose oldest due event arrived first, among those below their delivery limit.
    private func nextFunction() -> String? {
        var best: (function: String, id: Int64)?
        for (function, queue) in due {
            guard let id = queue.firstId, id < best?.id ?? .max,
                running[function, default: 0] < configuration.maximumConcurrentDeliveriesPerFunction
            else { continue }
            best = (function, id)
        }
        return best?.function
    }

    /// Wakes the pump when the earliest future event becomes due.
    private func armTimer() {
        guard let next = later.first?.nextAttemptMilliseconds, next < timerDeadline else { return }
        timer?.cancel()
        timerDeadline = next
        timer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(max(1, next - epochMilliseconds())))
            await self?.timerFired()
        }
    }

    private func timerFired() {
        timerDeadline = .max
        pump()
    }
}

/// One function's due events in id order, taken from the front without shifting the rest.
struct EventQueue {
    private var events: [AsyncEvent] = []
    private var head = 0

    var isEmpty: Bool { head == events.count }
    var count: Int { events.count - head }
    var firstId: Int64? { isEmpty ? nil : events[head].id }

    /// Adds `event` in id order; new events arrive last, so this is almost always an append.
    mutating func insert(_ event: AsyncEvent) {
        var index = events.endIndex
        while index > head, events[index - 1].id > event.id {
            index -= 1
        }
        events.insert(event, at: index)
    }

    mutating func removeFirst() -> AsyncEvent? {
        guard !isEmpty else { return nil }
        let event = events[head]
        head += 1
        if head == events.count {
            events.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024, head * 2 >= events.count {
            events.removeFirst(head)
            head = 0
        }
        return event
    }
}
