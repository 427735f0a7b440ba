import Foundation
import Testing

@testable import HTTP

@Suite("Request targets and hand-written JSON")
struct MessageTextTests {
    @Test(arguments: [
        ("/a/b", "/a/b", ""),
        ("/a/b?x=1&y=2", "/a/b", "x=1&y=2"),
        ("/a?", "/a", ""),
        ("/a?b?c", "/a", "b?c"),
        ("?q", "", "q"),
        ("/fn%3Aarn?Qualifier=%24LATEST", "/fn%3Aarn", "Qualifier=%24LATEST"),
    ])
    func theTargetSplitsAtTheFirstQuestionMark(target: String, path: String, query: String) {
        let request = HTTPRequest(method: "GET", target: target)

        #expect(request.path == path)
        #expect(request.query == query)
    }

    @Test func stringsAreQuotedAsJSONRequires() throws {
        let text = "plain \"quoted\" back\\slash\nline\r\ttab \u{01} é 🚀"
        var output = ""

        JSONText.appendQuoted(text, to: &output)

        let decoded = try JSONSerialization.jsonObject(with: Data(output.utf8), options: .fragmentsAllowed)
        #expect(decoded as? String == text)
        #expect(output.contains("\\u0001"))
        #expect(!output.contains("\n"), "no raw line break survives")
    }

    @Test func objectsRoundTripWithTheirKeysInOrder() throws {
        let members = ["b": "2", "a": "1\"", "c": ""]

        let text = JSONText.object(members)

        #expect(text == #"{"a":"1\"","b":"2","c":""}"#)
        let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(decoded == members)
        #expect(JSONText.object([:]) == "{}")
    }
}
