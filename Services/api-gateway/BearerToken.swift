import ServiceKit

/// The access token a request presents: `Authorization: Bearer <token>`, or, for the WebSocket upgrade only,
/// `?access_token=` (browsers cannot set headers on a WebSocket). Elsewhere the query parameter is ignored, so tokens
/// do not end up in access logs of ordinary requests.
enum BearerToken {
    /// The token; 401 `unauthorized` when there is none or the header is not a bearer token.
    /// - Parameter accessTokenParameter: the decoded `access_token` query parameter where it is allowed, else nil.
    static func of(authorization: String?, accessTokenParameter: String? = nil) throws -> String {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized() }
            let token = parts[1].trimmingCharacters(in: .whitespaces)
            guard !token.isEmpty else { throw APIError.unauthorized() }
            return token
        }
        if let accessTokenParameter, !accessTokenParameter.isEmpty { return accessTokenParameter }
        throw APIError.unauthorized()
    }
}
