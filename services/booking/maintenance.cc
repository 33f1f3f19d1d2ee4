#include "services/booking/maintenance.h"

#include <algorithm>

#include "common/logging/log.h"

namespace training::booking {
namespace {

// A failure is a warning retried next time; work done is counted.
void LogOutcome(const absl::StatusOr<int64_t>& done, log::Literal message) {
  if (!done.ok()) {
    log::Warning("maintenance.failed",
                 {{"error", log::ScrubbedText(done.status().message())}});
  } else if (*done > 0) {
    log::Info(message, {{"count", *done}});
  }
}

}  // namespace

Maintenance::Maintenance(Bookings* bookings, absl::Duration interval,
                         absl::Duration access_needs_retention,
                         absl::Duration due_interval)
    : thread_([this, bookings, interval, access_needs_retention] {
        while (!stop_.WaitForNotificationWithTimeout(interval)) {
          LogOutcome(bookings->ForgetEndedContacts(),
                     "maintenance.contacts_forgotten");
          LogOutcome(bookings->ForgetAccessNeeds(access_needs_retention),
                     "maintenance.access_needs_forgotten");
        }
      }),
      due_thread_([this, bookings, due_interval] {
        // A claim outlives a slow run several times over, so that two
        // replicas rarely do the same work (the lock makes it harmless).
        const absl::Duration lease =
            std::max(absl::Seconds(30), 4 * due_interval);
        while (!stop_.WaitForNotificationWithTimeout(due_interval)) {
          absl::StatusOr<int> expired = bookings->ExpireDueOffers(lease);
          absl::StatusOr<int> released = bookings->ReleaseDueHolds();
          for (const absl::Status& status :
               {expired.status(), released.status()}) {
            if (!status.ok()) {
              log::Warning("due_work.failed",
                           {{"error", log::ScrubbedText(status.message())}});
            }
          }
          if (expired.ok() && *expired > 0) {
            log::Info("due_work.offers_expired", {{"count", *expired}});
          }
        }
      }) {}

Maintenance::~Maintenance() {
  stop_.Notify();
  thread_.join();
  due_thread_.join();
}

}  // namespace training::booking
