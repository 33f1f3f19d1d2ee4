#ifndef TRAINING_SERVICES_CONTENT_BOOKING_ACCESS_H_
#define TRAINING_SERVICES_CONTENT_BOOKING_ACCESS_H_

// Whether a booking's manage token opens the booking, and what the booking
// is (course, confirmed, attended), for restricted articles. The content
// service never holds the token secret: booking answers
// (CheckBookingAccess), each question with a deadline, and the answers are
// kept for a short time so that a reader paging through articles asks
// booking once. The cache is keyed by a hash of booking and token, so no
// token is kept in memory; a change on booking's side (a cancellation, a
// substitution, attendance recorded) is seen within the cache's lifetime.

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "grpcpp/channel.h"
#include "services/content/article_rules.h"
#include "training/booking/v1/booking_service.grpc.pb.h"

namespace training::content {

class BookingAccess {
 public:
  virtual ~BookingAccess() = default;

  // The facts of `booking` (`bookings/{reference}`) when `manage_token`
  // opens it. PERMISSION_DENIED (reason BOOKING_ACCESS_DENIED) when it does
  // not (a wrong token, another booking's, a replaced attendee's, an
  // unknown booking: booking tells them apart for nobody); UNAVAILABLE with
  // a retry hint when booking cannot be asked in time.
  virtual absl::StatusOr<BookingFacts> Check(
      const std::string& booking, const std::string& manage_token) = 0;
};

// Asks the booking service over gRPC with the content service's own key.
// Thread-safe.
class GrpcBookingAccess final : public BookingAccess {
 public:
  struct Options {
    std::string service_key;
    absl::Duration timeout = absl::Seconds(2);
    // How long an answer (yes or no) is kept; zero keeps none.
    absl::Duration cache_ttl = absl::Seconds(10);
    size_t max_cached = 10000;
  };

  // `clock` is not owned and must outlive this.
  GrpcBookingAccess(std::shared_ptr<grpc::Channel> channel, Options options,
                    const Clock* clock);

  // BookingAccess:
  absl::StatusOr<BookingFacts> Check(const std::string& booking,
                                     const std::string& manage_token) override;

 private:
  struct Answer {
    bool opens = false;
    BookingFacts facts;
    absl::Time expire;
  };

  absl::StatusOr<Answer> Ask(const std::string& booking,
                             const std::string& manage_token);
  void Remember(const std::string& key, const Answer& answer)
      ABSL_LOCKS_EXCLUDED(mu_);

  std::unique_ptr<training::booking::v1::BookingService::Stub> stub_;
  const Options options_;
  const Clock* clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Answer> cache_ ABSL_GUARDED_BY(mu_);
};

// The PERMISSION_DENIED of a token that opens no booking.
absl::Status BookingAccessDenied();

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_BOOKING_ACCESS_H_
