import CHTTPParser

/// Incremental HTTP/1.1 parsing on top of nodejs's http_parser.
///
/// The parser pauses itself after each complete message, so a connection
/// handles pipelined requests strictly one at a time and never buffers more
/// than one parsed message.
final class MessageParser {
    enum Kind {
        case request
        case response
    }

    /// Why parsing stopped short of a message.
    enum Failure: Error, Equatable {
        /// The bytes are not valid HTTP/1.1 (includes ambiguous framing).
        case malformed(String)
        case headersTooLarge
        case bodyTooLarge
    }

    enum Outcome {
        /// All bytes were consumed without completing a message.
        case needMoreData
        /// A message is complete; `consumed` bytes of the input belong to it.
        case message(consumed: Int)
    }

    // Heap-allocated so callbacks can read the parser while it executes
    // without overlapping Swift inout accesses.
    private let parser = UnsafeMutablePointer<http_parser>.allocate(capacity: 1)
    private let settings = UnsafeMutablePointer<http_parser_settings>.allocate(capacity: 1)
    private let kind: Kind

    // The message being assembled.
    private(set) var method = ""
    private(set) var target = ""
    private(set) var statusCode = 0
    private(set) var headers = HTTPHeaders()
    private(set) var body: [UInt8] = []
    private(set) var keepAlive = true
    private(set) var headersComplete = false
    private(set) var messageStarted = false
    private var fieldName: [UInt8] = []
    private var fieldValue: [UInt8] = []
    private var lastWasValue = false
    private var headerBytes = 0
    private var failure: Failure?
    private var bodyLimitForMessage = Int.max

    /// Upper bound on request line plus header bytes.
    let maximumHeaderBytes: Int
    /// Asked once the head is parsed: how many body bytes this message may carry.
    var bodyLimit: (MessageParser) -> Int = { _ in Int.max }
    /// Called once the head is parsed, before any body byte (for `Expect: 100-continue`).
    var onHead: (MessageParser) -> Void = { _ in }

    init(kind: Kind, maximumHeaderBytes: Int) {
        self.kind = kind
        self.maximumHeaderBytes = maximumHeaderBytes
        parser.initialize(to: http_parser())
        settings.initialize(to: http_parser_settings())
        http_parser_init(parser, kind == .request ? HTTP_REQUEST : HTTP_RESPONSE)
        installCallbacks()
    }

    deinit {
        parser.deallocate()
        settings.deallocate()
    }

    /// True between a message's first byte and its end (false once it is handed over).
    var isMidMessage: Bool {
        messageStarted && parser.pointee.http_errno != HPE_PAUSED.rawValue
    }

    /// True while a message's request line or header fields are still arriving.
    var isReadingHead: Bool {
        isMidMessage && !headersComplete
    }

    /// The content length the head announced, if any.
    var announcedContentLength: Int? {
        parser.pointee.flags & UInt32(F_CONTENTLENGTH.rawValue) != 0 ? Int(parser.pointee.content_length) : nil
    }

    /// Feeds `bytes`; stops after at most one complete message.
    func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Outcome {
        if parser.pointee.http_errno == HPE_PAUSED.rawValue {
            http_parser_pause(parser, 0)
            reset()
        }
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        let consumed = http_parser_execute(
            parser, settings, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        if let failure {
            throw failure
        }
        let errno = http_errno(rawValue: parser.pointee.http_errno)
        if errno == HPE_PAUSED {
            return .message(consumed: consumed)
        }
        if errno != HPE_OK {
            throw .malformed(String(cString: http_errno_description(errno)))
        }
        return .needMoreData
    }

    /// Tells the parser the peer closed; completes a read-until-close body.
    func finish() throws(Failure) -> Bool {
        var empty: CChar = 0
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        _ = http_parser_execute(parser, settings, &empty, 0)
        return parser.pointee.http_errno == HPE_PAUSED.rawValue
    }

    private func reset() {
        method = ""
        target = ""
        statusCode = 0
        headers = HTTPHeaders()
        body = []
        keepAlive = true
        headersComplete = false
        messageStarted = false
        fieldName = []
        fieldValue = []
        lastWasValue = false
        headerBytes = 0
    }

    private func countHeaderBytes(_ count: Int) -> Int32 {
        headerBytes += count
        if headerBytes > maximumHeaderBytes {
            failure = .headersTooLarge
            return -1
        }
        return 0
    }

    private func flushField() {
        if !fieldName.isEmpty {
            headers.add(String(decoding: fieldName, as: UTF8.self), String(decoding: fieldValue, as: UTF8.self))
        }
        fieldName.removeAll(keepingCapacity: true)
        fieldValue.removeAll(keepingCapacity: true)
        lastWasValue = false
    }

    private static func instance(_ pointer: UnsafeMutablePointer<http_parser>?) -> MessageParser {
        // http_parser passes the parser it executes, whose `data` is set to `self`
        // before every http_parser_execute call.
        guard let data = pointer?.pointee.data else {
            preconditionFailure("http_parser called back without its parser")
        }
        return Unmanaged<MessageParser>.fromOpaque(data).takeUnretainedValue()
    }

    private static func bytes(_ at: UnsafePointer<CChar>?, _ length: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeRawBufferPointer(start: at, count: length).bindMemory(to: UInt8.self)
    }

    private func installCallbacks() {
        settings.pointee.on_message_begin = { pointer in
            let this = MessageParser.instance(pointer)
            this.messageStarted = true
            return 0
        }
        settings.pointee.on_url = { pointer, at, length in
            let this = MessageParser.instance(pointer)
            this.target += String(decoding: MessageParser.bytes(at, length), as: UTF8.self)
            return this.countHeaderBytes(length)
        }
        settings.pointee.on_status = { pointer, _, length in
            MessageParser.instance(pointer).countHeaderBytes(length)
        }
        settings.pointee.on_header_field = { pointer, at, length in
            let this = MessageParser.instance(pointer)
            if this.lastWasValue {
                this.flushField()
            }
            this.fieldName.append(contentsOf: MessageParser.bytes(at, length))
            return this.countHeaderBytes(length)
        }
        settings.pointee.on_header_value = { pointer, at, length in
            let this = MessageParser.instance(pointer)
            this.lastWasValue = true
            this.fieldValue.append(contentsOf: MessageParser.bytes(at, length))
            return this.countHeaderBytes(length)
        }
        settings.pointee.on_headers_complete = { pointer in
            MessageParser.instance(pointer).headersDidComplete()
        }
        settings.pointee.on_body = { pointer, at, length in
            let this = MessageParser.instance(pointer)
            this.body.append(contentsOf: MessageParser.bytes(at, length))
            if this.body.count > this.bodyLimitForMessage {
                this.failure = .bodyTooLarge
                return -1
            }
            return 0
        }
        settings.pointee.on_message_complete = { pointer in
            // Pausing hands the message to the connection before the next one
            // on the same connection is even parsed (pipelining, in order).
            http_parser_pause(pointer, 1)
            return 0
        }
    }

    private func headersDidComplete() -> Int32 {
        flushField()
        headersComplete = true
        keepAlive = http_should_keep_alive(parser) != 0
        if kind == .request {
            method = String(cString: http_method_str(http_method(rawValue: parser.pointee.method)))
        } else {
            statusCode = Int(parser.pointee.status_code)
        }
        if headers.values("Content-Length").count > 1 {
            failure = .malformed("duplicate Content-Length")
            return -1
        }
        bodyLimitForMessage = bodyLimit(self)
        if let length = announcedContentLength, length > bodyLimitForMessage {
            failure = .bodyTooLarge
            return -1
        }
        onHead(self)
        // A response to HEAD has no body; the client tells us by method.
        return 0
    }
}
