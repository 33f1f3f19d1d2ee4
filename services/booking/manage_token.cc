#include "services/booking/manage_token.h"

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"

namespace training::booking {
namespace {

// Binds the MAC to this use, so that the secret could never be confused
// with one signing something else.
constexpr char kContext[] = "training.booking.v1/manage-token:";

// Version 1 signs the name alone, as tokens did before versions, so that
// tokens issued then still open their bookings. A name never holds '#'.
std::string Message(absl::string_view booking_name, int64_t version) {
  return version == 1 ? std::string(booking_name)
                      : absl::StrCat(booking_name, "#", version);
}

}  // namespace

absl::StatusOr<ManageTokens> ManageTokens::Parse(absl::string_view spec) {
  absl::StatusOr<auth::HmacKeys> keys = auth::HmacKeys::Parse(spec);
  if (!keys.ok()) {
    return absl::Status(
        keys.status().code(),
        absl::StrCat("manage token secrets: ", keys.status().message()));
  }
  return ManageTokens(*std::move(keys));
}

std::string ManageTokens::Issue(absl::string_view booking_name, int64_t version,
                                absl::string_view kid) const {
  return keys_.Mac(keys_.IndexOf(kid), kContext,
                   Message(booking_name, version));
}

bool ManageTokens::Verify(absl::string_view booking_name, int64_t version,
                          absl::string_view token) const {
  const std::string message = Message(booking_name, version);
  bool match = false;
  for (size_t i = 0; i < keys_.size(); ++i) {
    const std::string expected = keys_.Mac(i, kContext, message);
    // Every secret is tried, and every byte compared, whatever matches.
    const bool same_size = expected.size() == token.size();
    const std::string& padded = same_size ? std::string(token) : expected;
    match |=
        CRYPTO_memcmp(expected.data(), padded.data(), expected.size()) == 0 &&
        same_size;
  }
  return match;
}

}  // namespace training::booking
