import Foundation
import Hummingbird
import HTTPTypes

/// Builds JSON responses: sorted keys, `application/json; charset=utf-8`.
public enum JSONResponse {
    /// Sorted keys keep bodies byte-stable (`code`, `message`, `requestId`).
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    public static func make(_ status: HTTPResponse.Status, _ body: some Encodable, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        let data = (try? encoder.encode(body)) ?? Data()
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
