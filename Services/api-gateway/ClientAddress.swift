import Foundation
import HTTPTypes
import Hummingbird
import ServiceKit

/// The address of the client behind the gateway: the socket's peer, or, behind `trustedHops` load balancers that
/// append to `X-Forwarded-For`, the entry they added (entries further left are client-supplied and not trusted).
enum ClientAddress {
    static func of(_ request: Request, context: ServiceRequestContext, trustedHops: Int) -> String {
        if trustedHops > 0, let forwarded = request.headers[values: .xForwardedFor].last {
            let entries = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if entries.count >= trustedHops { return entries[entries.count - trustedHops] }
        }
        return context.remoteAddress?.ipAddress ?? "unknown"
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
