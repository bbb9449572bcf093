import Crypto
import Foundation

/// AWS credentials used for signing.
public struct AWSCredentials: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    /// Present for temporary credentials (task roles); sent as `X-Amz-Security-Token`.
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// AWS Signature Version 4: signed request headers and presigned URLs.
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The payload hash S3 accepts when the body is not signed (presigned URLs).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Returns `headers` plus `x-amz-date`, `x-amz-content-sha256` (for S3), the session token and `Authorization`.
    ///
    /// `headers` must include `host`. `path` is the request path as sent (already percent-encoded), `query` the
    /// decoded query parameters.
    public func signedHeaders(
        method: String, path: String, query: [(String, String)] = [], headers: [(String, String)],
        payloadHash: String, date: Date = Date()
    ) -> [(String, String)] {
        let (amzDate, day) = Self.timestamps(date)
        var headers = headers
        headers.append(("x-amz-date", amzDate))
        if service == "s3" { headers.append(("x-amz-content-sha256", payloadHash)) }
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        let canonical = canonicalHeaders(headers)
        let request = canonicalRequest(
            method: method, path: path, query: query, canonicalHeaders: canonical.text,
            signedHeaders: canonical.names, payloadHash: payloadHash)
        let signature = sign(request, amzDate: amzDate, day: day)
        headers.append(
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope(day)), SignedHeaders=\(canonical.names), Signature=\(signature)"
            ))
        return headers
    }

    /// A presigned URL's query string (without `?`), valid for `expires` seconds from `date`.
    ///
    /// `headers` are the headers the client must send with exactly these values (at least `host`; for uploads
    /// also `content-type` and `content-length`), so the URL cannot be reused for another type or size.
    public func presignedQuery(
        method: String, path: String, query: [(String, String)] = [], headers: [(String, String)],
        expires: Int, date: Date = Date()
    ) -> String {
        let (amzDate, day) = Self.timestamps(date)
        let canonical = canonicalHeaders(headers)
        var parameters = query
        parameters.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        parameters.append(("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope(day))"))
        parameters.append(("X-Amz-Date", amzDate))
        parameters.append(("X-Amz-Expires", String(expires)))
        if let token = credentials.sessionToken { parameters.append(("X-Amz-Security-Token", token)) }
        parameters.append(("X-Amz-SignedHeaders", canonical.names))
        let request = canonicalRequest(
            method: method, path: path, query: parameters, canonicalHeaders: canonical.text,
            signedHeaders: canonical.names, payloadHash: Self.unsignedPayload)
        let signature = sign(request, amzDate: amzDate, day: day)
        return Self.canonicalQuery(parameters) + "&X-Amz-Signature=" + signature
    }

    // MARK: Canonical forms (AWS SigV4 specification)

    func canonicalRequest(
        method: String, path: String, query: [(String, String)], canonicalHeaders: String,
        signedHeaders: String, payloadHash: String
    ) -> String {
        [method, path.isEmpty ? "/" : path, Self.canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
    }

    func stringToSign(_ canonicalRequest: String, amzDate: String, day: String) -> String {
        ["AWS4-HMAC-SHA256", amzDate, scope(day), Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))]
            .joined(separator: "\n")
    }

    private func sign(_ canonicalRequest: String, amzDate: String, day: String) -> String {
        let text = stringToSign(canonicalRequest, amzDate: amzDate, day: day)
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }

    private func scope(_ day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    /// Lower-cased names, values trimmed with inner runs of spaces collapsed, sorted by name; values of repeated
    /// names are joined with commas in the order given.
    private func canonicalHeaders(_ headers: [(String, String)]) -> (text: String, names: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let collapsed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[name.lowercased(), default: []].append(collapsed)
        }
        let names = merged.keys.sorted()
        let text = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (text, names.joined(separator: ";"))
    }

    static func canonicalQuery(_ parameters: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = parameters.map { (encode($0.0), encode($0.1)) }
        let sorted = encoded.sorted { lhs, rhs in
            lhs.name == rhs.name ? lhs.value < rhs.value : lhs.name < rhs.name
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters (and `/` when `keepSlash`).
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out += "/"
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// `x-amz-date` (`20150830T123600Z`) and the scope day (`20150830`) of `date`, in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
        return (day + String(format: "T%02d%02d%02dZ", c.hour!, c.minute!, c.second!), day)
    }
}
