#ifndef TRAINING_SERVICES_NOTIFICATION_COMPOSER_H_
#define TRAINING_SERVICES_NOTIFICATION_COMPOSER_H_

// Turns kept facts into stored messages. A composer claims one fact at a
// time (with a lease, so that replicas share the work and a dead one's fact
// is taken over), asks booking and the catalogue what the message needs
// outside any transaction, then in one transaction raises calendar
// SEQUENCEs, stores every message (once per event, kind, booking and
// recipient role) and finishes the fact. A session-wide fact (session
// changed) goes page by page, its progress kept with the fact.
//
// A fact older than `max_fact_age` is dropped unsent (a consumer group
// created late replays days of events); a person booking no longer holds
// is skipped; a template that cannot be filled in gives a FAILED delivery
// with the reason, and nothing is sent.

#include <atomic>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/notification/directory.h"
#include "services/notification/message_builder.h"
#include "services/notification/message_plan.h"
#include "services/notification/store.h"

namespace training::notification {

struct ComposerOptions {
  SenderConfig sender;
  absl::Duration max_fact_age = absl::Hours(48);
  absl::Duration lease = absl::Seconds(60);
  // Wait before a fact is tried again when booking or the catalogue could
  // not be asked.
  absl::Duration retry_after = absl::Seconds(5);
  absl::Duration idle_poll = absl::Milliseconds(200);
  std::string owner;  // unique per process
};

class Composer {
 public:
  // Nothing is owned; all must outlive this.
  Composer(NotificationStore* store, Directory* directory, const Clock* clock,
           ComposerOptions options);
  ~Composer();

  // Composes the next fact; false when none was ready.
  absl::StatusOr<bool> ComposeOne();

  void Start();
  void Stop();

 private:
  // The messages of one booking-level plan, added in `tx`.
  struct Prepared;
  absl::StatusOr<bool> PrepareBooking(const ClaimedFact& fact,
                                      const PlannedMessage& plan,
                                      const std::string& booking,
                                      std::vector<Prepared>& out);
  absl::Status Store(sql::Transaction& tx, const ClaimedFact& fact,
                     std::vector<Prepared>& prepared);
  absl::Status ComposeSessionWide(const ClaimedFact& fact,
                                  const PlannedMessage& plan);

  NotificationStore* store_;
  Directory* directory_;
  const Clock* clock_;
  const ComposerOptions options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_COMPOSER_H_
