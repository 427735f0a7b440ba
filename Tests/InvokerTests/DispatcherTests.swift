import Store
import Synchronization
import Testing

@testable import Invoker

@Suite("Asynchronous event dispatch")
struct DispatcherTests {
    /// The ids of the events handed to `deliver`, in the order the dispatcher started them.
    final class Deliveries: Sendable {
        let ids = Mutex<[Int64]>([])

        var started: Set<Int64> { Set(ids.withLock { $0 }) }

        /// Waits (up to a minute: other tests block the shared pool for seconds) until `count`
        /// deliveries have started, then a little longer, so a delivery that should not have
        /// started has the time to show up.
        func wait(for count: Int) async {
            let deadline = ContinuousClock.now + .seconds(60)
            while ids.withLock({ $0.count }) < count, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
            try? await Task.sleep(for: .milliseconds(30))
        }
    }

    private func event(_ id: Int64, _ function: String, dueInMilliseconds: Int64 = 0) -> AsyncEvent {
        AsyncEvent(
            id: id, requestId: "request-\(id)", functionName: function, qualifier: "$LATEST", payload: [],
            enqueuedMilliseconds: 0, nextAttemptMilliseconds: epochMilliseconds() + dueInMilliseconds)
    }

    private func dispatcher(total: Int, perFunction: Int, _ deliveries: Deliveries) async -> Dispatcher {
        var configuration = AsyncQueueConfiguration()
        configuration.maximumConcurrentDeliveries = total
        configuration.maximumConcurrentDeliveriesPerFunction = perFunction
        let dispatcher = Dispatcher(configuration: configuration)
        await dispatcher.start(deliver: { event in deliveries.ids.withLock { $0.append(event.id) } }, with: [])
        return dispatcher
    }

    @Test("due events start oldest first, within the per-function and global limits")
    func limits() async {
        let deliveries = Deliveries()
        let dispatcher = await dispatcher(total: 3, perFunction: 2, deliveries)
        let events = [event(1, "f"), event(2, "f"), event(3, "f"), event(4, "g"), event(5, "g")]
        await dispatcher.add(events)
        await deliveries.wait(for: 3)
        // f may run two at once, so its third waits and g's oldest takes the last slot.
        #expect(deliveries.started == [1, 2, 4])
        #expect(await dispatcher.waitingCount == 2)

        await dispatcher.done(events[0], adding: [])
        await deliveries.wait(for: 4)
        #expect(deliveries.started == [1, 2, 3, 4])
        await dispatcher.done(events[3], adding: [])
        await deliveries.wait(for: 5)
        #expect(deliveries.started == [1, 2, 3, 4, 5])
        #expect(await dispatcher.waitingCount == 0)
    }

    @Test("an event due later waits for its time, then starts")
    func later() async throws {
        let deliveries = Deliveries()
        var configuration = AsyncQueueConfiguration()
        configuration.maximumConcurrentDeliveries = 4
        let dispatcher = Dispatcher(configuration: configuration)
        let startedAt = Mutex<Int64?>(nil)
        await dispatcher.start(
            deliver: { event in
                startedAt.withLock { $0 = epochMilliseconds() }
                deliveries.ids.withLock { $0.append(event.id) }
            }, with: [])
        let due = event(7, "f", dueInMilliseconds: 300)
        await dispatcher.add([due])
        await deliveries.wait(for: 1)
        #expect(deliveries.started == [7])
        // Timed where it happens, so a slow test machine cannot make it pass or fail.
        #expect(try #require(startedAt.withLock { $0 }) >= due.nextAttemptMilliseconds)
    }

    @Test("a function's queue keeps id order, whatever order events arrive in, across compaction")
    func eventQueue() {
        var queue = EventQueue()
        let ids: [Int64] = Array(1...3000).shuffled()
        for id in ids {
            queue.insert(event(id, "f"))
        }
        var taken: [Int64] = []
        while let next = queue.removeFirst() {
            taken.append(next.id)
            if taken.count == 1500 {
                // Late arrivals after the front has been consumed still land in order.
                queue.insert(event(1, "f"))
                queue.insert(event(5000, "f"))
            }
        }
        #expect(taken.count == 3002)
        #expect(Array(taken.prefix(1500)) == Array(1...1500))
        #expect(taken.dropFirst(1500).first == 1)
        #expect(Array(taken.dropFirst(1501)) == Array(1501...3000) + [5000])
        #expect(queue.isEmpty && queue.firstId == nil)
    }
}
