import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// Where the attachments bucket lives and how to address it.
public struct S3Configuration: Sendable {
    /// Custom endpoint such as `http://127.0.0.1:5055`; `nil` for AWS (`https://s3.<region>.amazonaws.com`).
    public var endpoint: String?
    public var region: String
    public var bucket: String
    /// Path-style (`endpoint/bucket/key`) rather than virtual-hosted (`bucket.endpoint/key`) addressing.
    public var pathStyle: Bool
    public var credentials: AWSCredentials

    public init(endpoint: String?, region: String, bucket: String, pathStyle: Bool, credentials: AWSCredentials) {
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.pathStyle = pathStyle
        self.credentials = credentials
    }
}

/// A failed S3 call.
public struct S3Error: Error, CustomStringConvertible, Sendable {
    public let status: Int
    public let message: String
    public var description: String { "S3 \(status): \(message)" }
}

/// Presigned URLs for clients and signed calls for the server's own use of the bucket.
public struct S3Client: Sendable {
    public let configuration: S3Configuration
    private let signer: SigV4Signer
    private let httpClient: HTTPClient

    public init(configuration: S3Configuration, httpClient: HTTPClient) {
        self.configuration = configuration
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        self.httpClient = httpClient
    }

    /// A URL valid for `expires` seconds that lets its holder `method` (PUT or GET) the object `key`.
    /// Every header in `headers` (e.g. `content-type`, `content-length`) is signed and must be sent as given.
    public func presignedURL(method: String, key: String, expires: Int, headers: [(String, String)] = [], date: Date = Date()) -> String {
        let target = location(of: key)
        let query = signer.presignedQuery(
            method: method, path: target.path, headers: [("host", target.host)] + headers, expires: expires, date: date)
        return "\(target.scheme)://\(target.host)\(target.path)?\(query)"
    }

    /// What S3 says of a stored object.
    public struct ObjectInfo: Sendable, Equatable {
        public let size: Int
        /// The `Content-Type` it was stored with, lowercased.
        public let contentType: String?
    }

    /// `HEAD` on the object; returns its size and type, or `nil` when it does not exist.
    public func headObject(key: String) async throws -> ObjectInfo? {
        let response = try await signedRequest(method: .HEAD, path: location(of: key))
        switch response.status.code {
        case 200:
            return ObjectInfo(
                size: response.headers.first(name: "content-length").flatMap(Int.init) ?? 0,
                contentType: response.headers.first(name: "content-type")?.lowercased())
        case 404: return nil
        default: throw S3Error(status: Int(response.status.code), message: "HEAD \(key) failed")
        }
    }

    /// `DELETE` on the object (idempotent).
    public func deleteObject(key: String) async throws {
        let response = try await signedRequest(method: .DELETE, path: location(of: key))
        guard (200..<300).contains(response.status.code) || response.status.code == 404 else {
            throw S3Error(status: Int(response.status.code), message: "DELETE \(key) failed")
        }
    }

    /// `HEAD` on the bucket: succeeds when the bucket exists and the credentials may use it; used by readiness probes.
    public func checkBucket() async throws {
        let response = try await signedRequest(method: .HEAD, path: location(of: nil))
        guard response.status.code == 200 else {
            throw S3Error(status: Int(response.status.code), message: "bucket \(configuration.bucket) is not reachable")
        }
    }

    private func signedRequest(method: HTTPMethod, path target: Location) async throws -> HTTPClientResponse {
        let emptyPayloadHash = SigV4Signer.hex(SHA256.hash(data: Data()))
        let headers = signer.signedHeaders(
            method: method.rawValue, path: target.path, headers: [("host", target.host)], payloadHash: emptyPayloadHash)
        var request = HTTPClientRequest(url: "\(target.scheme)://\(target.host)\(target.path)")
        request.method = method
        for (name, value) in headers where name != "host" { request.headers.add(name: name, value: value) }
        return try await httpClient.execute(request, timeout: .seconds(10))
    }

    struct Location {
        let scheme: String
        let host: String
        let path: String
    }

    /// Scheme, host and encoded path of `key` (or of the bucket itself when `key` is nil).
    func location(of key: String?) -> Location {
        let endpoint = URL(string: configuration.endpoint ?? "https://s3.\(configuration.region).amazonaws.com")!
        let scheme = endpoint.scheme ?? "https"
        var host = endpoint.host ?? "s3.amazonaws.com"
        if let port = endpoint.port { host += ":\(port)" }
        let encodedKey = key.map { "/" + SigV4Signer.encode($0, keepSlash: true) } ?? ""
        if configuration.pathStyle {
            return Location(scheme: scheme, host: host, path: "/\(configuration.bucket)\(encodedKey)")
        }
        return Location(scheme: scheme, host: "\(configuration.bucket).\(host)", path: encodedKey.isEmpty ? "/" : encodedKey)
    }
}
