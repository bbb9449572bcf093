import Hummingbird
import ServiceKit

/// What the user service asks chat about attachments, under `/internal/v1` (never routed by the gateway; each call
/// carries the user service's ``ServiceCredential``):
///
/// - `GET /internal/v1/attachments/{id}` → `{"exists", "uploaderId", "contentType", "uploaded"}`: whether the
///   attachment exists, who uploaded it, and whether it was uploaded as announced (an avatar must be an image the
///   user uploaded).
struct InternalAttachmentRoutes: Sendable {
    let attachments: AttachmentStore

    struct Upload: ResponseEncodable {
        let exists: Bool
        let uploaderId: String?
        let contentType: String?
        let uploaded: Bool
    }

    func add(to router: Router<ServiceRequestContext>, credential: ServiceCredential) {
        let routes = router.group("/internal/v1").add(middleware: ServiceCredentialMiddleware(credential: credential, callers: [.user]))
        routes.get("attachments/:id") { _, context in
            let id = try context.parameters.require("id")
            if let (view, uploader) = try await attachments.uploaded(id) {
                return Upload(exists: true, uploaderId: uploader, contentType: view.contentType, uploaded: true)
            }
            let exists = try await attachments.find(id) != nil
            return Upload(exists: exists, uploaderId: nil, contentType: nil, uploaded: false)
        }
    }
}
