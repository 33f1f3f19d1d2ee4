#ifndef TRAINING_SERVICES_BOOKING_BOOKING_QUERIES_H_
#define TRAINING_SERVICES_BOOKING_BOOKING_QUERIES_H_

// Reads that change nothing: one booking, a page of bookings, and seat
// availability (from this replica's memory without leaving gRPC's thread
// when every figure is there, else from the cache in Redis, else the
// database, learning sessions the catalogue announced moments ago).
//
// Thread-safe.

#include <functional>

#include "absl/status/statusor.h"
#include "services/booking/booking_context.h"
#include "services/booking/session_learner.h"
#include "training/booking/v1/booking_service.pb.h"

namespace training::booking {

class BookingQueries {
 public:
  // Neither is owned; both must outlive this. `offload` runs work that may
  // block away from AvailabilityAsync's caller.
  BookingQueries(const BookingContext& context, SessionLearner* learner,
                 Offload offload)
      : context_(context), learner_(learner), offload_(std::move(offload)) {}

  absl::StatusOr<v1::Booking> Get(const Caller& caller,
                                  const v1::GetBookingRequest& r) const;
  // Newest first; an agency key sees its own organisation's bookings only.
  absl::StatusOr<v1::ListBookingsResponse> List(
      const Caller& caller, const v1::ListBookingsRequest& r) const;
  absl::StatusOr<v1::BatchGetAvailabilityResponse> Availability(
      const Caller& caller, const v1::BatchGetAvailabilityRequest& r) const;
  // The same, answering through `done`: at once, on this thread, when the
  // request is invalid or every figure is in memory; otherwise from work
  // handed to `offload` (or Busy when it refuses). Never blocks; `r` must
  // stay alive until `done` is called.
  void AvailabilityAsync(
      const Caller& caller, const v1::BatchGetAvailabilityRequest& r,
      std::function<void(absl::StatusOr<v1::BatchGetAvailabilityResponse>)>
          done) const;

 private:
  const BookingContext& context_;
  SessionLearner* learner_;
  const Offload offload_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_BOOKING_QUERIES_H_
