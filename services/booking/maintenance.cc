#include "services/booking/maintenance.h"

#include "common/logging/log.h"

namespace training::booking {

Maintenance::Maintenance(Bookings* bookings, absl::Duration interval)
    : thread_([this, bookings, interval] {
        while (!stop_.WaitForNotificationWithTimeout(interval)) {
          absl::StatusOr<int64_t> forgotten = bookings->ForgetEndedContacts();
          if (!forgotten.ok()) {
            log::Warning(
                "maintenance.failed",
                {{"error", log::ScrubbedText(forgotten.status().message())}});
          } else if (*forgotten > 0) {
            log::Info("maintenance.contacts_forgotten",
                      {{"count", *forgotten}});
          }
        }
      }) {}

Maintenance::~Maintenance() {
  stop_.Notify();
  thread_.join();
}

}  // namespace training::booking
