#ifndef TRAINING_SERVICES_BOOKING_BOOKING_CONTEXT_H_
#define TRAINING_SERVICES_BOOKING_BOOKING_CONTEXT_H_

// What the parts of the booking service share (creation, any-date entries,
// changes, the waiting list, catalogue events, personal data, queries):
// their dependencies in one struct, and the few helpers every part uses.
// Not for users outside services/booking: they go through Bookings.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/logging/log.h"
#include "common/status/errors.h"
#include "common/time/clock.h"
#include "common/time/deadline.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_field.h"
#include "services/booking/availability_cache.h"
#include "services/booking/booking_view.h"
#include "services/booking/caller.h"
#include "services/booking/domain.h"
#include "services/booking/session_learner.h"
#include "services/booking/store.h"

namespace training::booking {

// The dependencies every part of the service shares. Nothing is owned.
struct BookingContext {
  BookingStore* store;
  const Clock* clock;
  const BookingViews* views;
  AvailabilityCache* cache;  // null: availability always from the database
  // Where new references' random bytes come from (domain.h).
  RandomBytes random_bytes;

  // Writes a session's availability to the cache once its change has
  // committed; nothing for an any-date entry that holds no session.
  void RefreshCache(const SessionInventory& inventory) const;
};

namespace internal {

// No thread was free for work that may block: never run it on the caller's
// thread (gRPC's own), ask for a retry instead.
absl::Status Busy();
// While alive, a worker thread works for `caller` as the dispatcher's own
// workers do: the call's request and trace ids on log lines, its deadline
// on every wait. Expired() tells whether that deadline passed while the
// work was queued (answer DEADLINE_EXCEEDED, as Expired returns).
class CallerScope {
 public:
  explicit CallerScope(const Caller& caller);
  absl::Status Expired() const;

 private:
  const absl::Time deadline_;
  const log::ScopedLogContext log_context_;
  const ScopedDeadline scoped_deadline_;
};

// Hands `work` to `offload`, run as `caller` (CallerScope), and answers
// `done` with its result; Busy when `offload` refuses (blocking work never
// runs on the caller's thread).
template <typename T>
void OffloadAsCaller(const Offload& offload, const Caller& caller,
                     std::function<absl::StatusOr<T>()> work,
                     std::function<void(absl::StatusOr<T>)> done) {
  auto shared_done =
      std::make_shared<std::function<void(absl::StatusOr<T>)>>(std::move(done));
  if (!offload([caller, work = std::move(work), shared_done] {
        CallerScope scope(caller);
        absl::Status expired = scope.Expired();
        (*shared_done)(expired.ok() ? work() : absl::StatusOr<T>(expired));
      })) {
    (*shared_done)(Busy());
  }
}
// Lists ordered by arrival (`seq`), newest first: the seq a page token
// carries, 0 for the first page; a violation on `page_token` when the
// token is not one such a list made for `filters`.
int64_t BeforeSeqOf(const std::string& page_token, const std::string& filters,
                    std::vector<FieldViolation>& violations);
// Booking states asked for in a list's filter; a violation on `states` when
// one is unknown.
std::vector<int> BookingStatesOf(
    const google::protobuf::RepeatedField<int>& states,
    std::vector<FieldViolation>& violations);
absl::Status BookingNotFound();
// FAILED_PRECONDITION with an ErrorInfo reason.
absl::Status Refused(absl::string_view message, std::string reason);
// A hash of the whole request, so that a retry can be told from a
// different request reusing the id.
std::string Fingerprint(const google::protobuf::Message& request);
absl::StatusOr<std::string> CheckBookingName(absl::string_view name,
                                             absl::string_view field);
bool IsActive(v1::Booking::State state);
// Takes a booking out of its session's counts (ReleasePlace) and marks it
// ended in `end_state` with a cancellation saying why; late only when a
// confirmed place is given up inside the late-cancellation window.
void EndBooking(StoredBooking& stored, SessionInventory& inventory,
                v1::Booking::State end_state, v1::Cancellation::Cause cause,
                const std::string& reason, absl::Time now);
// The record of an earlier run of this same request (requests::Replayed):
// nullopt when `request_id` is empty or new; INVALID_ARGUMENT
// REQUEST_ID_REUSED when it was used for a different request.
absl::StatusOr<std::optional<RequestRecord>> EarlierRun(
    BookingTransaction& tx, const std::string& request_id,
    const std::string& fingerprint, absl::Time now);
// Saves the counts of a locked session; a change to an any-date entry that
// holds no session has none.
absl::Status SaveCounts(BookingTransaction& tx, SessionInventory& inventory);

}  // namespace internal
}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_BOOKING_CONTEXT_H_
