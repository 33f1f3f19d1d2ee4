#ifndef TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_SECRET_BOX_H_
#define TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_SECRET_BOX_H_

// Webhook secrets at rest. They must be readable to sign, so hashing will
// not do: each is sealed with AES-256-GCM under a key derived from the
// configured keyring (`--webhook_secret_keys`, the suite's `kid:secret,…`
// shape; the first key seals, every listed key opens), bound to the
// subscription it belongs to, so that a sealed secret copied to another
// row does not open. Sealed form: `{kid}:{base64url(nonce ‖ ciphertext ‖
// tag)}`.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/hmac_keys.h"

namespace training::notification::webhooks {

class SecretBox {
 public:
  // `keys` is not owned and must outlive this.
  explicit SecretBox(const auth::HmacKeys* keys) : keys_(keys) {}

  // Seals `plain` for subscription `owner_id` under the current key;
  // INTERNAL when the random generator or the cipher fails.
  absl::StatusOr<std::string> Seal(absl::string_view plain,
                                   absl::string_view owner_id) const;
  // Opens what Seal made for `owner_id`; DATA_LOSS when it is malformed,
  // sealed under a key no longer listed, for another subscription, or
  // altered.
  absl::StatusOr<std::string> Open(absl::string_view sealed,
                                   absl::string_view owner_id) const;

 private:
  std::string KeyBytes(size_t index) const;

  const auth::HmacKeys* keys_;
};

}  // namespace training::notification::webhooks

#endif  // TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_SECRET_BOX_H_
