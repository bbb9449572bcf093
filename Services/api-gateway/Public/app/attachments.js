// Attachments: POST /v1/attachments for a presigned S3 PUT, the upload itself (straight to S3, with the signed
// headers), and download URLs (presigned GETs, valid a few minutes, cached until shortly before they expire).

import { ApiError } from "./api.js";

// Headers a browser sets itself and refuses to have set (the signed Content-Length is the body's length anyway).
const BROWSER_HEADERS = new Set(["content-length", "host", "connection"]);

/**
 * Uploads `file` for `conversationId` and returns the attachment object. `onProgress(fraction)` follows the upload.
 */
export async function uploadAttachment(api, conversationId, file, onProgress = () => {}) {
  if (file.size === 0) throw new ApiError(400, "invalid_request", `${file.name} is empty`);
  const created = await api.createAttachment(conversationId, file);
  await new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("PUT", created.uploadUrl);
    for (const [name, value] of Object.entries(created.uploadHeaders || {})) {
      if (!BROWSER_HEADERS.has(name.toLowerCase())) request.setRequestHeader(name, value);
    }
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(new ApiError(request.status, "upload_failed", `the upload of ${file.name} failed (storage answered ${request.status})`));
      }
    });
    request.addEventListener("error", () => {
      reject(new ApiError(0, "network", `the upload of ${file.name} could not reach the file storage`));
    });
    request.send(file);
  });
  return created.attachment;
}

/** Presigned download URLs by attachment id, refetched when less than 30 s of validity is left. */
export class DownloadLinks {
  constructor(api) {
    this.api = api;
    this.cache = new Map();
  }

  async url(attachmentId) {
    const known = this.cache.get(attachmentId);
    if (known && known.expiresAt - Date.now() > 30_000) return known.url;
    const answer = await this.api.attachment(attachmentId);
    const expiresAt = Date.parse(answer.expiresAt) || Date.now() + 60_000;
    this.cache.set(attachmentId, { url: answer.downloadUrl, expiresAt });
    return answer.downloadUrl;
  }
}
