#include "services/booking/bookings_internal.h"

#include "common/events/outbox.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/time/proto_time.h"
#include "services/booking/domain.h"

namespace training::booking::internal {

// No thread was free for work that may block: never run it on the caller's
// thread (gRPC's own), ask for a retry instead.
absl::Status Busy() {
  return OverloadedError("booking: too busy to take this now; retry shortly");
}

absl::Status BookingNotFound() {
  return absl::NotFoundError("booking: not found");
}

absl::Status Refused(absl::string_view message, std::string reason) {
  return WithErrorInfo(absl::FailedPreconditionError(message),
                       std::move(reason));
}

// A hash of the whole request, so that a retry can be told from a
// different request reusing the id.
std::string Fingerprint(const google::protobuf::Message& request) {
  return requests::RequestFingerprint(request);
}

absl::StatusOr<std::string> CheckBookingName(absl::string_view name,
                                             absl::string_view field) {
  std::optional<std::string> reference = ParseBookingName(name);
  if (!reference) {
    return InvalidArgumentError(
        {{std::string(field),
          "must be bookings/{reference} with an 8-character reference"}});
  }
  return *reference;
}

Event NewEvent(const Caller& caller, const std::string& subject) {
  return events::NewEvent("booking", subject, caller.request_id,
                          caller.traceparent, caller.tracestate);
}

const char* StateWord(v1::Booking::State state) {
  switch (state) {
    case v1::Booking::CONFIRMED:
      return "confirmed";
    case v1::Booking::WAITLISTED:
      return "waitlisted";
    case v1::Booking::OFFERED:
      return "offered";
    default:
      return "other";
  }
}

bool IsActive(v1::Booking::State state) {
  return state == v1::Booking::CONFIRMED || state == v1::Booking::WAITLISTED ||
         state == v1::Booking::OFFERED;
}

// Takes a booking out of its session's counts and marks it ended.
void EndBooking(StoredBooking& stored, SessionInventory& inventory,
                v1::Booking::State end_state, v1::Cancellation::Cause cause,
                const std::string& reason, absl::Time now) {
  v1::Booking& b = stored.booking;
  const bool was_confirmed = b.state() == v1::Booking::CONFIRMED;
  if (was_confirmed || b.state() == v1::Booking::OFFERED) {
    --inventory.occupants_by_type[b.attendee().agency_type()];
  }
  if (was_confirmed) --inventory.confirmed;
  if (b.state() == v1::Booking::OFFERED) --inventory.offers;
  if (b.state() == v1::Booking::WAITLISTED &&
      b.scope() != v1::Booking::ANY_DATE) {
    --inventory.waiting;
  }
  auto* cancellation = b.mutable_cancellation();
  *cancellation->mutable_cancel_time() = ToProto(now);
  cancellation->set_cause(cause);
  cancellation->set_reason(reason);
  cancellation->set_late(was_confirmed && IsLateCancellation(inventory, now));
  b.set_state(end_state);
  *b.mutable_update_time() = ToProto(now);
}

// Saves the counts of a locked session; a change to an any-date entry that
// holds no session has none.
absl::Status SaveCounts(BookingTransaction& tx, SessionInventory& inventory) {
  if (inventory.session.empty()) return absl::OkStatus();
  return tx.SaveCounts(inventory);
}

}  // namespace training::booking::internal
