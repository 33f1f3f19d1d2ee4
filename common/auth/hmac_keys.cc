#include "common/auth/hmac_keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/random/secure_bytes.h"

namespace training::auth {
namespace {

bool IsKid(absl::string_view kid) {
  return !kid.empty() && kid.size() <= 16 &&
         std::all_of(kid.begin(), kid.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
}

// HMAC-SHA256 keyed with `key`; null only if OpenSSL lacks HMAC or SHA-256.
std::shared_ptr<const EVP_MAC_CTX> KeyedHmac(const std::string& key) {
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (hmac == nullptr) return nullptr;
  std::shared_ptr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(hmac), EVP_MAC_CTX_free);
  EVP_MAC_free(hmac);  // the context keeps its own reference
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  if (ctx == nullptr ||
      EVP_MAC_init(ctx.get(),
                   reinterpret_cast<const unsigned char*>(key.data()),
                   key.size(), params) != 1) {
    return nullptr;
  }
  return ctx;
}

}  // namespace

absl::StatusOr<HmacKeys> HmacKeys::Parse(absl::string_view spec) {
  std::vector<Key> keys;
  for (absl::string_view entry : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    const size_t colon = entry.find(':');
    if (colon == absl::string_view::npos || !IsKid(entry.substr(0, colon))) {
      return absl::InvalidArgumentError(
          "each entry must be kid:secret with a kid of 1 to 16 of a-z and "
          "0-9");
    }
    std::string key;
    if (!absl::WebSafeBase64Unescape(entry.substr(colon + 1), &key) ||
        key.size() < 32) {
      return absl::InvalidArgumentError(
          "each secret must be URL-safe base64 of at least 32 bytes");
    }
    std::shared_ptr<const EVP_MAC_CTX> keyed = KeyedHmac(key);
    if (keyed == nullptr) {
      return absl::InternalError("OpenSSL offers no HMAC-SHA256");
    }
    keys.push_back({std::string(entry.substr(0, colon)), std::move(keyed)});
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError("at least one kid:secret is required");
  }
  return HmacKeys(std::move(keys));
}

absl::StatusOr<std::string> HmacKeys::NewSpec(absl::string_view kid) {
  absl::StatusOr<std::string> key = random::SecureBytes(32);
  if (!key.ok()) return key.status();
  return absl::StrCat(kid, ":", absl::WebSafeBase64Escape(*key));
}

size_t HmacKeys::IndexOf(absl::string_view kid) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].kid == kid) return i;
  }
  return 0;
}

std::string HmacKeys::Mac(size_t index, absl::string_view context,
                          absl::string_view message) const {
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(
      EVP_MAC_CTX_dup(keys_[index].keyed.get()), EVP_MAC_CTX_free);
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t length = 0;
  if (ctx == nullptr ||
      EVP_MAC_update(ctx.get(),
                     reinterpret_cast<const unsigned char*>(context.data()),
                     context.size()) != 1 ||
      EVP_MAC_update(ctx.get(),
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      EVP_MAC_final(ctx.get(), mac, &length, sizeof mac) != 1) {
    std::abort();  // out of memory: nothing sensible to hand out
  }
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(mac), length));
}

}  // namespace training::auth
