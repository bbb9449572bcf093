// Deployment settings of the web client, read before the app starts.
//
// Served by the api-gateway (the default), the client talks to the origin it came from: nothing to set.
// Hosted elsewhere as static files (S3 + CloudFront), set apiBase to the gateway's public URL, e.g.
//   window.CHAT_CONFIG = { apiBase: "https://api.chat.example.com" };
// and list this site's origin in the gateway's CHAT_CORS_ORIGINS (and the attachment bucket's CORS rules).
window.CHAT_CONFIG = Object.assign({ apiBase: "" }, window.CHAT_CONFIG || {});
