#ifndef TRAINING_SERVICES_BOOKING_MANAGE_TOKEN_H_
#define TRAINING_SERVICES_BOOKING_MANAGE_TOKEN_H_

// Manage tokens: the secret that, with its reference, manages a booking.
// A token is HMAC-SHA256 of the booking's name and its token version under
// a server secret (256 bits, URL-safe base64), so the database holds
// nothing that opens a booking and an idempotent replay can hand the same
// token out again. The version starts at 1 and moves on when the place
// passes to someone else, so that every earlier token stops opening it.
// Several secrets may be configured while one is rotated out: tokens are
// issued under the current one (or the one a booking was issued under, while
// it is still configured) and accepted under any, compared in constant time.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/hmac_keys.h"

namespace training::booking {

class ManageTokens {
 public:
  // Parses `kid:secret,kid:secret,…` (the first is current); see HmacKeys.
  static absl::StatusOr<ManageTokens> Parse(absl::string_view spec);

  // A new spec with one random secret, for a local run that was given none;
  // INTERNAL when the random generator fails.
  static absl::StatusOr<std::string> NewSpec(absl::string_view kid) {
    return auth::HmacKeys::NewSpec(kid);
  }

  // The kid new bookings record.
  const std::string& current_kid() const { return keys_.kid(0); }

  // The token for version `version` (1 or more) of `booking_name` under
  // secret `kid`, or under the current secret when `kid` is no longer
  // configured.
  std::string Issue(absl::string_view booking_name, int64_t version,
                    absl::string_view kid) const;

  // Whether `token` is the token of version `version` of `booking_name`
  // under any configured secret. Takes the same time whatever part of the
  // token is wrong.
  bool Verify(absl::string_view booking_name, int64_t version,
              absl::string_view token) const;

 private:
  explicit ManageTokens(auth::HmacKeys keys) : keys_(std::move(keys)) {}

  auth::HmacKeys keys_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_MANAGE_TOKEN_H_
