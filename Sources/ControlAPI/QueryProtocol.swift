import Foundation
import HTTP

/// AWS's query protocol, as IAM and STS speak it: a form-encoded `POST /` whose `Action`
/// names the operation, answered with XML in the service's namespace.
enum QueryProtocol {
    static let iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
    static let stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

    /// Decodes an `application/x-www-form-urlencoded` body: `+` is a space, `%XX` a byte,
    /// and the bytes are UTF-8. A later field of the same name wins.
    static func parseForm(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count > 1 ? formDecoded(parts[1]) : ""
            fields[formDecoded(parts[0])] = value
        }
        return fields
    }

    /// One form component decoded; a `%` not followed by two hex digits stays as it is.
    static func formDecoded(_ bytes: ArraySlice<UInt8>) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.endIndex,
                let high = hexDigit(bytes[index + 1]), let low = hexDigit(bytes[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
                continue
            }
            decoded.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The success document: `<ActionResponse xmlns=…><ActionResult>…</ActionResult>` (only when
    /// the operation has a result) `<ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>`.
    static func response(action: String, namespace: String, requestId: String, result: XMLWriter?) -> HTTPResponse {
        var writer = XMLWriter()
        writer.open("\(action)Response", attributes: ["xmlns": namespace])
        if let result {
            writer.open("\(action)Result")
            writer.append(result)
            writer.close("\(action)Result")
        }
        writer.open("ResponseMetadata")
        writer.element("RequestId", requestId)
        writer.close("ResponseMetadata")
        writer.close("\(action)Response")
        return HTTPResponse(status: 200, headers: headers(requestId), text: writer.text)
    }

    static func headers(_ requestId: String) -> HTTPHeaders {
        ["Content-Type": "text/xml", "x-amzn-RequestId": requestId]
    }

    /// A policy document as IAM returns it: percent-encoded, every byte but RFC 3986's
    /// unreserved characters. boto3 decodes it back into a dictionary.
    static func policyEncoded(_ document: String) -> String {
        document.addingPercentEncoding(withAllowedCharacters: unreserved) ?? document
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// The decoded form fields of one query-protocol request, with the protocol's list shapes.
struct QueryRequest {
    let fields: [String: String]

    init(_ fields: [String: String]) {
        self.fields = fields
    }

    subscript(_ name: String) -> String? { fields[name] }

    /// `Name.member.1`, `Name.member.2`, … up to the first gap; empty for `Name=` or absence.
    func list(_ name: String) -> [String] {
        var values: [String] = []
        while let value = fields["\(name).member.\(values.count + 1)"] {
            values.append(value)
        }
        return values
    }

    /// `Name.member.N.Key` and `Name.member.N.Value` pairs, N from 1 up to the first gap.
    /// A missing value reads as nil, for the caller to report.
    func tags(_ name: String) -> [(key: String, value: String?)] {
        var tags: [(key: String, value: String?)] = []
        while let key = fields["\(name).member.\(tags.count + 1).Key"] {
            tags.append((key: key, value: fields["\(name).member.\(tags.count + 1).Value"]))
        }
        return tags
    }

    /// The field as an integer; nil when absent. `.some(nil)` when present but not a number.
    func integer(_ name: String) -> Int?? {
        fields[name].map { Int($0) }
    }

    /// The field as a boolean (`true`/`false`, any case); nil when absent or anything else.
    func boolean(_ name: String) -> Bool? {
        switch fields[name]?.lowercased() {
        case "true": true
        case "false": false
        default: nil
        }
    }
}

/// Builds an XML document element by element, escaping text and attribute values.
struct XMLWriter {
    private(set) var text = ""

    mutating func open(_ name: String, attributes: KeyValuePairs<String, String> = [:]) {
        text += "<" + name
        for (attribute, value) in attributes {
            text += " \(attribute)=\"\(Self.escaped(value))\""
        }
        text += ">"
    }

    mutating func close(_ name: String) {
        text += "</\(name)>"
    }

    /// `<name>value</name>`, with `value` escaped.
    mutating func element(_ name: String, _ value: String) {
        text += "<\(name)>\(Self.escaped(value))</\(name)>"
    }

    /// The element when `value` is not nil; nothing otherwise.
    mutating func element(_ name: String, _ value: String?) {
        if let value { element(name, value) }
    }

    mutating func element(_ name: String, _ value: Int) {
        element(name, String(value))
    }

    mutating func element(_ name: String, _ value: Bool) {
        element(name, value ? "true" : "false")
    }

    /// `<name>` around whatever `body` writes.
    mutating func element(_ name: String, _ body: (inout XMLWriter) -> Void) {
        open(name)
        body(&self)
        close(name)
    }

    /// `<name><member>…</member>…</name>`, one member per item.
    mutating func members<Item>(_ name: String, _ items: [Item], _ write: (inout XMLWriter, Item) -> Void) {
        open(name)
        for item in items {
            open("member")
            write(&self, item)
            close("member")
        }
        close(name)
    }

    /// Character data: `value`, escaped, where the writer stands (a list member's text).
    mutating func characters(_ value: String) {
        text += Self.escaped(value)
    }

    /// Appends what another writer wrote.
    mutating func append(_ other: XMLWriter) {
        text += other.text
    }

    /// `text` with XML's special characters as entities. Carriage returns are escaped too,
    /// since XML parsers otherwise fold them into line feeds; characters XML 1.0 cannot carry
    /// at all (other control characters) become U+FFFD.
    static func escaped(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\r": escaped += "&#xD;"
            case "\t", "\n": escaped.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                escaped += "\u{FFFD}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

extension AWSError {
    /// The query protocol's error document: `<ErrorResponse xmlns=…><Error><Type>Sender</Type>
    /// <Code>…</Code><Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>`, with
    /// the error's status. `Type` is `Receiver` for server-side failures.
    func queryProtocolResponse(requestId: String, namespace: String) -> HTTPResponse {
        var writer = XMLWriter()
        writer.open("ErrorResponse", attributes: ["xmlns": namespace])
        writer.element("Error") { error in
            error.element("Type", status >= 500 ? "Receiver" : "Sender")
            error.element("Code", code)
            error.element("Message", message)
        }
        writer.element("RequestId", requestId)
        writer.close("ErrorResponse")
        var responseHeaders = headers
        for (name, value) in QueryProtocol.headers(requestId) {
            responseHeaders.set(name, value)
        }
        return HTTPResponse(status: status, headers: responseHeaders, text: writer.text)
    }
}
