@testable import ServiceKit
import Testing

@Suite struct JSONLogHandlerTests {
    @Test func stringsAreEscapedForJSON() {
        #expect(JSONLogHandler.quoted("plain") == "\"plain\"")
        #expect(JSONLogHandler.quoted("a\"b\\c\nd\u{01}") == #""a\"b\\c\nd\u0001""#)
        #expect(JSONLogHandler.quoted("héllo ✓") == "\"héllo ✓\"")
    }
}
