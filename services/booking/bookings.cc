#include "services/booking/bookings.h"

#include "absl/synchronization/notification.h"
#include "common/random/secure_bytes.h"

namespace training::booking {

Bookings::Bookings(BookingStore* store, const Clock* clock, BookingKeys keys,
                   SessionDirectory* directory, AvailabilityCache* cache,
                   batching::GroupCommitOptions options, Offload offload)
    : views_(keys.tokens, clock),
      context_{store, clock, &views_, cache,
               [](size_t n) { return random::SecureBytes(n); }},
      offload_(offload ? std::move(offload)
                       : [](std::function<void()> work) {
                           work();
                           return true;
                         }),
      learner_(store, directory, offload_),
      waitlist_(context_),
      any_date_(context_),
      creation_(context_, &learner_, &any_date_, options, offload_),
      changes_(context_, &waitlist_),
      queries_(context_, &learner_, offload_),
      catalogue_events_(context_, &waitlist_),
      personal_data_(context_, &waitlist_, keys.addresses) {}

absl::StatusOr<v1::Booking> Bookings::CreateBooking(
    const Caller& caller, const v1::CreateBookingRequest& r) {
  absl::StatusOr<v1::Booking> result;
  absl::Notification finished;
  CreateBookingAsync(caller, r, [&](absl::StatusOr<v1::Booking> booking) {
    result = std::move(booking);
    finished.Notify();
  });
  finished.WaitForNotification();
  return result;
}

}  // namespace training::booking
