#ifndef TRAINING_SERVICES_BOOKING_BOOKING_VIEW_H_
#define TRAINING_SERVICES_BOOKING_BOOKING_VIEW_H_

// The one view of a booking every operation answers with, who may see it,
// and the manage tokens it carries. Reads only; changes nothing.
//
// Thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/booking/caller.h"
#include "services/booking/manage_token.h"
#include "services/booking/store.h"
#include "training/booking/v1/booking_service.pb.h"

namespace training::booking {

// Which manage token a view carries.
enum class TokenInView {
  kNone,
  // The token CreateBooking handed out, for its replays: only while the
  // booking is at token version 1, so that a replay after a substitution
  // never hands the colleague's token to whoever made the booking.
  kOriginal,
  // The token of the booking's current version (a substitution's answer).
  kCurrent,
};

class BookingViews {
 public:
  // Neither is owned; both must outlive this.
  BookingViews(const ManageTokens* tokens, const Clock* clock);

  // How long after a substitution its caller may retry it with the old
  // token (an answer lost on the way back).
  static constexpr absl::Duration kSubstitutionRetryWindow = absl::Minutes(10);

  // The booking as `caller` may see it: position, substitutions, access
  // needs for admins only, the token as `token` says.
  absl::StatusOr<v1::Booking> View(BookingTransaction& tx,
                                   const StoredBooking& stored,
                                   const Caller& caller,
                                   TokenInView token) const;

  // NOT_FOUND unless `caller` is an admin or holds the token of the
  // booking's current version: an unknown reference and a wrong token look
  // the same.
  absl::Status Authorize(const Caller& caller,
                         const StoredBooking& stored) const;

  // Whether a token holder refused by Authorize is retrying the substitution
  // that re-keyed the booking: the token of the version before, the same
  // request id and the same request, within kSubstitutionRetryWindow and
  // with the booking unchanged since. They get their answer (the new token)
  // again; anyone else, NOT_FOUND.
  absl::StatusOr<bool> RetriesItsSubstitution(
      BookingTransaction& tx, const StoredBooking& stored, const Caller& caller,
      const std::string& request_id, const std::string& fingerprint) const;

  // The manage token of a booking just made (token version 1), under the
  // secret `kid` it was stored with.
  std::string FirstToken(const std::string& name,
                         const std::string& kid) const {
    return tokens_->Issue(name, 1, kid);
  }
  // The manage token that opens `stored` now (the notification service's
  // manage links).
  std::string CurrentToken(const StoredBooking& stored) const {
    return tokens_->Issue(stored.booking.name(), stored.token_version,
                          stored.token_kid);
  }
  // The secret new bookings are stored under.
  std::string current_kid() const { return tokens_->current_kid(); }

 private:
  const ManageTokens* tokens_;
  const Clock* clock_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_BOOKING_VIEW_H_
