#ifndef TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_SIGNATURE_H_
#define TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_SIGNATURE_H_

// Standard Webhooks signing. A secret is `whsec_` and standard base64 of
// its bytes (32 random bytes here); a signature is `v1,` and standard
// base64 of HMAC-SHA256, keyed with those bytes, of
// "{webhook-id}.{webhook-timestamp}.{body}". Several signatures (a secret
// being rotated out and its successor) go in one header, space-separated.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace training::notification::webhooks {

// A new secret; INTERNAL when the random generator fails.
absl::StatusOr<std::string> NewWebhookSecret();

// The key bytes of a `whsec_…` secret; INVALID_ARGUMENT when malformed.
absl::StatusOr<std::string> SecretKey(absl::string_view secret);

// `v1,<base64>` for one key.
std::string Sign(absl::string_view key, absl::string_view webhook_id,
                 int64_t timestamp, absl::string_view body);

// The `webhook-signature` value: one signature per key, space-separated.
std::string SignatureHeader(const std::vector<std::string>& keys,
                            absl::string_view webhook_id, int64_t timestamp,
                            absl::string_view body);

}  // namespace training::notification::webhooks

#endif  // TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_SIGNATURE_H_
