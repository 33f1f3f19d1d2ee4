#ifndef TRAINING_SERVICES_BOOKING_ANY_DATE_H_
#define TRAINING_SERVICES_BOOKING_ANY_DATE_H_

// Entries for any date of a course: the earliest matching date with a
// place free for the person is taken at once; otherwise the entry waits on
// the course's list and takes the first place that frees on a date its
// delivery preference accepts (Waitlist::Promote). Not batched: an entry
// may touch every session of its course, so it locks them all, in name
// order, then the course.
//
// Thread-safe.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/booking/booking_context.h"
#include "training/booking/v1/booking_service.pb.h"

namespace training::booking {

class AnyDateEntries {
 public:
  // `context` must outlive this.
  explicit AnyDateEntries(const BookingContext& context) : context_(context) {}

  // A CreateBooking with scope ANY_DATE.
  absl::StatusOr<v1::Booking> Create(const Caller& caller,
                                     const v1::CreateBookingRequest& r) const;

 private:
  // Whether the course takes this entry now: known, published, the agency
  // type eligible, and no other active entry of the address.
  absl::Status CheckCourseTakes(BookingTransaction& tx,
                                const std::string& course,
                                const v1::Attendee& attendee,
                                absl::Time now) const;
  // The entry, confirmed on the earliest of `sessions` that takes it (whose
  // counts are updated, and returned in `placed_on`) or waiting.
  absl::StatusOr<StoredBooking> Place(BookingTransaction& tx,
                                      const Caller& caller,
                                      const v1::Booking& asked,
                                      std::vector<SessionInventory>& sessions,
                                      SessionInventory& placed_on,
                                      absl::Time now) const;
  // Inserts the entry with its event and request record; its view.
  absl::StatusOr<v1::Booking> Save(BookingTransaction& tx, const Caller& caller,
                                   const v1::CreateBookingRequest& r,
                                   const std::string& fingerprint,
                                   StoredBooking stored,
                                   SessionInventory& placed_on,
                                   absl::Time now) const;

  const BookingContext& context_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_ANY_DATE_H_
