import Testing

@testable import RuntimeAPI

private func invocation(_ id: String) -> RuntimeInvocation {
    RuntimeInvocation(
        requestId: id, payload: Array("{}".utf8), deadlineMilliseconds: 0,
        invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:f", traceId: "Root=1-0-0")
}

@Suite("Runtime API state machine")
struct RuntimeStateMachineTests {
    @Test("the first next finishes init; an invocation then goes to the parked poll")
    func initThenInvoke() {
        var machine = RuntimeStateMachine<Int>()
        guard case .initialized = machine.next(1) else {
            Issue.record("expected initialized")
            return
        }
        guard case .deliver(to: 1, let delivered) = machine.invoke(invocation("a")) else {
            Issue.record("expected delivery")
            return
        }
        #expect(delivered.requestId == "a")
        guard case .completed(requestId: "a", .response(let body)) = machine.reply(requestId: "a", .response([1]))
        else {
            Issue.record("expected completion")
            return
        }
        #expect(body == [1])
    }

    @Test("an invocation that arrives during init is delivered on the first next")
    func invokeDuringInit() {
        var machine = RuntimeStateMachine<Int>()
        guard case .none = machine.invoke(invocation("early")) else {
            Issue.record("expected to wait")
            return
        }
        guard case .initializedAndDeliver(to: 7, let delivered) = machine.next(7) else {
            Issue.record("expected init and delivery")
            return
        }
        #expect(delivered.requestId == "early")
    }

    @Test("a reply for an unknown request id is rejected with 400 InvalidRequestID")
    func wrongId() {
        var machine = RuntimeStateMachine<Int>()
        _ = machine.next(1)
        _ = machine.invoke(invocation("a"))
        guard case .reject(status: 400, errorType: "InvalidRequestID", _) = machine.reply(requestId: "b", .response([]))
        else {
            Issue.record("expected rejection")
            return
        }
    }

    @Test("a second reply to the same invocation is rejected with 403")
    func doubleReply() {
        var machine = RuntimeStateMachine<Int>()
        _ = machine.next(1)
        _ = machine.invoke(invocation("a"))
        _ = machine.reply(requestId: "a", .response([]))
        guard
            case .reject(status: 403, errorType: "InvalidStateTransition", _) = machine.reply(
                requestId: "a", .error(type: nil, document: []))
        else {
            Issue.record("expected rejection")
            return
        }
    }

    @Test("init/error is accepted during init and refused afterwards")
    func initError() {
        var machine = RuntimeStateMachine<Int>()
        guard
            case .initFailed(type: "Runtime.ImportModuleError", _) = machine.initError(
                type: "Runtime.ImportModuleError", document: [])
        else {
            Issue.record("expected init failure")
            return
        }
        var ready = RuntimeStateMachine<Int>()
        _ = ready.next(1)
        guard case .reject(status: 403, _, _) = ready.initError(type: nil, document: []) else {
            Issue.record("expected rejection")
            return
        }
    }

    @Test("a second concurrent next is refused")
    func doubleNext() {
        var machine = RuntimeStateMachine<Int>()
        _ = machine.next(1)
        guard case .reject(status: 403, _, _) = machine.next(2) else {
            Issue.record("expected rejection")
            return
        }
    }

    @Test("failing the machine hands back the parked poll to close")
    func failReturnsParked() {
        var machine = RuntimeStateMachine<Int>()
        _ = machine.next(9)
        #expect(machine.fail() == 9)
        #expect(machine.fail() == nil)
    }
}
