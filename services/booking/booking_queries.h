#ifndef TRAINING_SERVICES_BOOKING_BOOKING_QUERIES_H_
#define TRAINING_SERVICES_BOOKING_BOOKING_QUERIES_H_

// Reads that change nothing: one booking, a page of bookings, and seat
// availability (from the cache, else the database, learning sessions the
// catalogue announced moments ago).
//
// Thread-safe.

#include "absl/status/statusor.h"
#include "services/booking/booking_context.h"
#include "services/booking/session_learner.h"
#include "training/booking/v1/booking_service.pb.h"

namespace training::booking {

class BookingQueries {
 public:
  // Neither is owned; both must outlive this.
  BookingQueries(const BookingContext& context, SessionLearner* learner)
      : context_(context), learner_(learner) {}

  absl::StatusOr<v1::Booking> Get(const Caller& caller,
                                  const v1::GetBookingRequest& r) const;
  // Newest first; an agency key sees its own organisation's bookings only.
  absl::StatusOr<v1::ListBookingsResponse> List(
      const Caller& caller, const v1::ListBookingsRequest& r) const;
  absl::StatusOr<v1::BatchGetAvailabilityResponse> Availability(
      const Caller& caller, const v1::BatchGetAvailabilityRequest& r) const;

 private:
  const BookingContext& context_;
  SessionLearner* learner_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_BOOKING_QUERIES_H_
