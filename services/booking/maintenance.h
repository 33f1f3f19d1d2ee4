#ifndef TRAINING_SERVICES_BOOKING_MAINTENANCE_H_
#define TRAINING_SERVICES_BOOKING_MAINTENANCE_H_

// Runs the booking service's background work until destroyed: housekeeping
// (Bookings::ForgetEndedContacts and Bookings::ForgetAccessNeeds) every
// `interval`, and due work (offers that expired, holds released) every
// `due_interval`, each in its own thread. Failures are
// logged and retried at the next run; nothing waits for it.

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "services/booking/bookings.h"

namespace training::booking {

class Maintenance {
 public:
  // `bookings` is not owned and must outlive this.
  Maintenance(Bookings* bookings, absl::Duration interval,
              absl::Duration access_needs_retention,
              absl::Duration due_interval);
  ~Maintenance();
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

 private:
  absl::Notification stop_;
  std::thread thread_;
  std::thread due_thread_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_MAINTENANCE_H_
