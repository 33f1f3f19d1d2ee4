#ifndef TRAINING_SERVICES_BOOKING_BOOKINGS_INTERNAL_H_
#define TRAINING_SERVICES_BOOKING_BOOKINGS_INTERNAL_H_

// Helpers the parts of Bookings share (bookings.cc, erasure.cc): errors,
// request fingerprints, events, and ending a booking. Not for other users.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "services/booking/caller.h"
#include "services/booking/store.h"
#include "training/events/v1/events.pb.h"

namespace training::booking::internal {

using ::training::events::v1::Event;

// No thread was free for work that may block: never run it on the caller's
// thread (gRPC's own), ask for a retry instead.
absl::Status Busy();
absl::Status BookingNotFound();
absl::Status Refused(absl::string_view message, std::string reason);
// A hash of the whole request, so that a retry can be told from a
// different request reusing the id.
std::string Fingerprint(const google::protobuf::Message& request);
absl::StatusOr<std::string> CheckBookingName(absl::string_view name,
                                             absl::string_view field);
Event NewEvent(const Caller& caller, const std::string& subject);
const char* StateWord(v1::Booking::State state);
bool IsActive(v1::Booking::State state);
// Takes a booking out of its session's counts and marks it ended.
void EndBooking(StoredBooking& stored, SessionInventory& inventory,
                v1::Booking::State end_state, v1::Cancellation::Cause cause,
                const std::string& reason, absl::Time now);
// Saves the counts of a locked session; a change to an any-date entry that
// holds no session has none.
absl::Status SaveCounts(BookingTransaction& tx, SessionInventory& inventory);

}  // namespace training::booking::internal

#endif  // TRAINING_SERVICES_BOOKING_BOOKINGS_INTERNAL_H_
