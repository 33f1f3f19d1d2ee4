#include "services/notification/webhooks/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/random/secure_bytes.h"

namespace training::notification::webhooks {
namespace {

constexpr absl::string_view kPrefix = "whsec_";

}  // namespace

absl::StatusOr<std::string> NewWebhookSecret() {
  absl::StatusOr<std::string> bytes = random::SecureBytes(32);
  if (!bytes.ok()) return bytes.status();
  return absl::StrCat(kPrefix, absl::Base64Escape(*bytes));
}

absl::StatusOr<std::string> SecretKey(absl::string_view secret) {
  std::string key;
  if (!absl::ConsumePrefix(&secret, kPrefix) ||
      !absl::Base64Unescape(secret, &key) || key.size() < 24 ||
      key.size() > 64) {
    return absl::InvalidArgumentError(
        "a webhook secret is whsec_ and base64 of 24 to 64 bytes");
  }
  return key;
}

std::string Sign(absl::string_view key, absl::string_view webhook_id,
                 int64_t timestamp, absl::string_view body) {
  const std::string signed_content =
      absl::StrCat(webhook_id, ".", timestamp, ".", body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(signed_content.data()),
       signed_content.size(), mac, &size);
  return absl::StrCat("v1,", absl::Base64Escape(absl::string_view(
                                 reinterpret_cast<const char*>(mac), size)));
}

std::string SignatureHeader(const std::vector<std::string>& keys,
                            absl::string_view webhook_id, int64_t timestamp,
                            absl::string_view body) {
  std::string header;
  for (const std::string& key : keys) {
    if (!header.empty()) header += " ";
    header += Sign(key, webhook_id, timestamp, body);
  }
  return header;
}

}  // namespace training::notification::webhooks
