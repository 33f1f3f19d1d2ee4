#include "services/booking/maintenance.h"

#include "common/logging/log.h"

namespace training::booking {

Maintenance::Maintenance(Bookings* bookings, absl::Duration interval,
                         absl::Duration access_needs_retention)
    : thread_([this, bookings, interval, access_needs_retention] {
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
          absl::StatusOr<int64_t> needs =
              bookings->ForgetAccessNeeds(access_needs_retention);
          if (!needs.ok()) {
            log::Warning(
                "maintenance.failed",
                {{"error", log::ScrubbedText(needs.status().message())}});
          } else if (*needs > 0) {
            log::Info("maintenance.access_needs_forgotten",
                      {{"count", *needs}});
          }
        }
      }) {}

Maintenance::~Maintenance() {
  stop_.Notify();
  thread_.join();
}

}  // namespace training::booking
