import AsyncHTTPClient
import Foundation
import Testing

@testable import S3

/// The signer against AWS's published Signature Version 4 examples, byte for byte.
@Suite struct SigV4SignerTests {
    static let emptyPayload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    /// The SigV4 test suite's `get-vanilla` and `get-vanilla-query-order-key-case`.
    @Test func reproducesTheSigV4TestSuite() {
        let signer = SigV4Signer(
            credentials: .init(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "service")
        let when = Self.date("2015-08-30T12:36:00Z")
        let vanilla = signer.signedHeaders(
            method: "GET", path: "/", headers: [("Host", "example.amazonaws.com")], payloadHash: Self.emptyPayload, date: when)
        #expect(
            vanilla.last! == (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            ))
        let ordered = signer.signedHeaders(
            method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")],
            headers: [("Host", "example.amazonaws.com")], payloadHash: Self.emptyPayload, date: when)
        #expect(ordered.last!.1.hasSuffix("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"))
    }

    /// The S3 documentation's "GET Object" example with a Range header.
    @Test func reproducesTheS3HeaderSigningExample() {
        let signer = SigV4Signer(
            credentials: .init(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1")
        let headers = signer.signedHeaders(
            method: "GET", path: "/test.txt",
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
            payloadHash: Self.emptyPayload, date: Self.date("2013-05-24T00:00:00Z"))
        #expect(
            headers.last!.1
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    /// The S3 documentation's presigned-URL example (virtual-hosted style).
    @Test func reproducesTheS3PresignedURLExample() {
        let client = S3Client(
            configuration: .init(
                endpoint: "https://s3.amazonaws.com", region: "us-east-1", bucket: "examplebucket", pathStyle: false,
                credentials: .init(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")),
            httpClient: .shared)
        let url = client.presignedURL(method: "GET", key: "test.txt", expires: 86400, date: Self.date("2013-05-24T00:00:00Z"))
        #expect(
            url
                == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
    }
}
