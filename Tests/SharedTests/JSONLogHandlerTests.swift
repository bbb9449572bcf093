import Testing

@testable import ServiceKit

@Suite struct JSONLogHandlerTests {
    @Test func stringsAreEscapedForJSON() {
        #expect(JSONText.quoted("plain") == "\"plain\"")
        #expect(JSONText.quoted("a\"b\\c\nd\u{01}") == #""a\"b\\c\nd\u0001""#)
        #expect(JSONText.quoted("héllo ✓") == "\"héllo ✓\"")
    }
}
