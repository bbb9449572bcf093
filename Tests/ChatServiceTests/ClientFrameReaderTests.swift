import Foundation
import NIOCore
import Testing

@testable import ChatService

/// The quick reader of client frames gives what `JSONDecoder` gives, or leaves the frame to it.
struct ClientFrameReaderTests {
    /// Frames the reader takes itself.
    static let plain = [
        #"{"type":"send","ref":"r1","conversationId":"c-1","clientMessageId":"m-1","body":"hello @ana déjà vu 👋🏽"}"#,
        #"{"type":"send","conversationId":"c","clientMessageId":"m","body":"","attachmentIds":["a1","a2"],"replyToSeq":42}"#,
        #"  { "type" : "read" , "conversationId" : "c" , "seq" : 9223372036854775807 }  "#,
        "{\n\t\"type\":\"typing\",\r\n\"conversationId\":\"c\",\"state\":\"start\"}",
        #"{"type":"ping","ref":null,"body":null,"attachmentIds":null,"replyToSeq":null}"#,
        #"{"type":"auth","accessToken":"eyJ.a-b_c.d"}"#,
        #"{"type":"send","attachmentIds":[],"replyToSeq":-1,"seq":0}"#,
        #"{"type":"read","seq":-9223372036854775808}"#,
        #"{"type":"unknown-type"}"#,
    ]

    /// Frames left to `JSONDecoder` (valid or not).
    static let leftToTheDecoder = [
        #"{"type":"send","body":"line\nbreak"}"#,  // an escape
        #"{"type":"send","body":"quote \" inside"}"#,
        #"{"ty\u0070e":"send"}"#,  // an escaped key
        #"{"type":"sync","conversations":{"c":3}}"#,  // sync's map
        #"{"type":"send","extra":1}"#,  // a field no frame has
        #"{"type":"send","type":"read"}"#,  // a repeated field
        #"{"type":"read","seq":1.0}"#,  // a fraction
        #"{"type":"read","seq":1e3}"#,  // an exponent
        #"{"type":"read","seq":01}"#,  // a leading zero
        #"{"type":"read","seq":9223372036854775808}"#,  // too large
        #"{"type":"read","seq":"1"}"#,  // a string for a number
        #"{"type":true}"#,
        #"{"type":null}"#,
        #"{"type":"send","attachmentIds":["a",1]}"#,
        #"{"type":"send","attachmentIds":"a"}"#,
        #"{}"#, #"[]"#, #""#, #"null"#, #"{"type":"send"} x"#, #"{"type":"send",}"#, #"{"type":"send""#,
        "{\"type\":\"send\",\"body\":\"tab\there\"}",  // a raw control character
    ]

    static func frame(_ text: String) -> ClientFrame? {
        ClientFrameReader.frame(in: ByteBuffer(string: text))
    }

    static func decoded(_ text: String) -> ClientFrame? {
        try? JSONDecoder().decode(ClientFrame.self, from: Data(text.utf8))
    }

    @Test(arguments: plain) func plainFramesReadAsTheDecoderReadsThem(_ text: String) throws {
        let frame = try #require(Self.frame(text))
        #expect(frame == Self.decoded(text))
    }

    @Test(arguments: leftToTheDecoder) func everythingElseIsLeftToTheDecoder(_ text: String) {
        #expect(Self.frame(text) == nil)
    }

    @Test func invalidUTF8IsLeftToTheDecoder() {
        var bytes = ByteBuffer(string: #"{"type":"send","body":""#)
        bytes.writeBytes([0xC3, 0x28])
        bytes.writeString(#""}"#)
        #expect(ClientFrameReader.frame(in: bytes) == nil)
    }

    @Test func theFieldsLandWhereTheyBelong() throws {
        let frame = try #require(Self.frame(Self.plain[1]))
        #expect(frame.type == "send" && frame.conversationId == "c" && frame.clientMessageId == "m" && frame.body == "")
        #expect(frame.attachmentIds == ["a1", "a2"] && frame.replyToSeq == 42 && frame.ref == nil && frame.conversations == nil)
    }
}
