#ifndef TRAINING_SERVICES_BOOKING_INTERNAL_LOOKUPS_H_
#define TRAINING_SERVICES_BOOKING_INTERNAL_LOOKUPS_H_

// What the other services of the suite may ask booking (INTERNAL RPCs,
// callable only by the services their access rules name): how to write to a
// booking's attendee or to the person a colleague replaced, the bookings of
// a session, and whether a manage token opens a booking. Reads only.
//
// Thread-safe.

#include "absl/status/statusor.h"
#include "services/booking/booking_view.h"
#include "services/booking/caller.h"
#include "services/booking/store.h"
#include "training/booking/v1/booking_service.pb.h"

namespace training::booking {

class InternalLookups {
 public:
  // Neither is owned; both must outlive this.
  InternalLookups(BookingStore* store, const BookingViews* views)
      : store_(store), views_(views) {}

  // The attendee's contact and the booking's current manage token; with
  // `previous_contact_id`, the replaced person's contact instead (no token,
  // which is the colleague's). NOT_FOUND when booking no longer holds it.
  absl::StatusOr<v1::AttendeeContact> GetAttendeeContact(
      const Caller& caller, const v1::GetAttendeeContactRequest& r);
  // A session's booking names in the asked states, newest first, paged.
  absl::StatusOr<v1::ListSessionBookingsResponse> ListSessionBookings(
      const Caller& caller, const v1::ListSessionBookingsRequest& r);
  // The booking's facts when `manage_token` opens it now; every mismatch is
  // the same NOT_FOUND.
  absl::StatusOr<v1::BookingAccess> CheckBookingAccess(
      const Caller& caller, const v1::CheckBookingAccessRequest& r);

 private:
  BookingStore* store_;
  const BookingViews* views_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_INTERNAL_LOOKUPS_H_
