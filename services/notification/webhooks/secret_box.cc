#include "services/notification/webhooks/secret_box.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/random/secure_bytes.h"

namespace training::notification::webhooks {
namespace {

constexpr size_t kNonce = 12;
constexpr size_t kTag = 16;

using CipherContext =
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

absl::Status DataLoss() {
  return absl::DataLossError(
      "a stored webhook secret does not open: altered, or sealed under a "
      "key --webhook_secret_keys no longer lists");
}

}  // namespace

std::string SecretBox::KeyBytes(size_t index) const {
  // The keyring's secret is used through a MAC of a fixed label, so that
  // this key is never the one the same secret signs anything else with.
  std::string key;
  absl::WebSafeBase64Unescape(
      keys_->Mac(index, "training.v1/webhook-secret-seal", ""), &key);
  return key;
}

absl::StatusOr<std::string> SecretBox::Seal(absl::string_view plain,
                                            absl::string_view owner_id) const {
  absl::StatusOr<std::string> nonce = random::SecureBytes(kNonce);
  if (!nonce.ok()) return nonce.status();
  const std::string key = KeyBytes(0);
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string out = *nonce;
  out.resize(kNonce + plain.size() + kTag);
  auto* cipher = reinterpret_cast<unsigned char*>(out.data() + kNonce);
  int n = 0, final_n = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key),
                         Bytes(*nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, Bytes(owner_id),
                        static_cast<int>(owner_id.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cipher, &n, Bytes(plain),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipher + n, &final_n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag,
                          cipher + plain.size()) != 1) {
    return absl::InternalError("webhook secret: the cipher failed");
  }
  return absl::StrCat(keys_->kid(0), ":", absl::WebSafeBase64Escape(out));
}

absl::StatusOr<std::string> SecretBox::Open(absl::string_view sealed,
                                            absl::string_view owner_id) const {
  const size_t colon = sealed.find(':');
  if (colon == absl::string_view::npos) return DataLoss();
  const absl::string_view kid = sealed.substr(0, colon);
  const size_t index = keys_->IndexOf(kid);
  std::string raw;
  if (keys_->kid(index) != kid ||
      !absl::WebSafeBase64Unescape(sealed.substr(colon + 1), &raw) ||
      raw.size() < kNonce + kTag) {
    return DataLoss();
  }
  const std::string key = KeyBytes(index);
  const absl::string_view nonce(raw.data(), kNonce);
  const absl::string_view cipher(raw.data() + kNonce,
                                 raw.size() - kNonce - kTag);
  std::string tag(raw.data() + raw.size() - kTag, kTag);
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string plain(cipher.size(), '\0');
  int n = 0, final_n = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key),
                         Bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, Bytes(owner_id),
                        static_cast<int>(owner_id.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(),
                        reinterpret_cast<unsigned char*>(plain.data()), &n,
                        Bytes(cipher), static_cast<int>(cipher.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) !=
          1 ||
      EVP_DecryptFinal_ex(ctx.get(),
                          reinterpret_cast<unsigned char*>(plain.data()) + n,
                          &final_n) != 1) {
    return DataLoss();
  }
  return plain;
}

}  // namespace training::notification::webhooks
