#ifndef TRAINING_COMMON_AUTH_HMAC_KEYS_H_
#define TRAINING_COMMON_AUTH_HMAC_KEYS_H_

// Named HMAC-SHA256 keys, configured as `kid:secret,kid:secret,…` (the
// first current, the others still accepted while one is rotated out): the
// shape of every shared secret of the suite (manage tokens, the keyed
// hashes of erased addresses). Each MAC is bound to a context string, so
// that one key can never be confused with one signing something else.

#include <openssl/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace training::auth {

class HmacKeys {
 public:
  // Parses the spec. Each kid is 1 to 16 of [a-z0-9]; each secret URL-safe
  // base64 of at least 32 bytes. INVALID_ARGUMENT naming the rule (never a
  // secret) otherwise.
  static absl::StatusOr<HmacKeys> Parse(absl::string_view spec);
  // A spec with one new random secret; INTERNAL when the random generator
  // fails.
  static absl::StatusOr<std::string> NewSpec(absl::string_view kid);

  size_t size() const { return keys_.size(); }
  const std::string& kid(size_t index) const { return keys_[index].kid; }
  // The key named `kid`, or the current one (0) when none is.
  size_t IndexOf(absl::string_view kid) const;

  // URL-safe base64 (43 characters) of HMAC-SHA256 under key `index` of
  // `context` followed by `message`.
  std::string Mac(size_t index, absl::string_view context,
                  absl::string_view message) const;

 private:
  struct Key {
    std::string kid;
    // HMAC-SHA256 already keyed, copied for each MAC: setting the key up
    // per MAC cost as much as the MAC itself. Shared read-only between
    // threads and copies of this object.
    std::shared_ptr<const EVP_MAC_CTX> keyed;
  };
  explicit HmacKeys(std::vector<Key> keys) : keys_(std::move(keys)) {}

  std::vector<Key> keys_;  // never empty
};

}  // namespace training::auth

#endif  // TRAINING_COMMON_AUTH_HMAC_KEYS_H_
