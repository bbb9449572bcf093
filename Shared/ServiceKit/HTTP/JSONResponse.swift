import Foundation
import HTTPTypes
import Hummingbird

/// Builds JSON responses: sorted keys, `application/json; charset=utf-8`.
public enum JSONResponse {
    public static let contentType = "application/json; charset=utf-8"

    /// Sorted keys keep bodies byte-stable.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// `body` as JSON with `status`; an encoding failure throws (answered as a 500), never an empty 200.
    public static func make(_ status: HTTPResponse.Status, _ body: some Encodable, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
    }
}
