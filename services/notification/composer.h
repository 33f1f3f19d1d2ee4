#ifndef TRAINING_SERVICES_NOTIFICATION_COMPOSER_H_
#define TRAINING_SERVICES_NOTIFICATION_COMPOSER_H_

// Turns kept facts into stored messages. A composer claims one fact at a
// time (with a lease, so that replicas share the work and a dead one's fact
// is taken over), asks booking and the catalogue what the message needs
// outside any transaction, then in one transaction raises calendar
// SEQUENCEs, stores every message (once per event, kind, booking and
// recipient role) and finishes the fact. A session-wide fact (session
// changed) goes page by page, its progress kept with the fact. A confirmed
// place's later messages (reminders, joining instructions) are stored as
// SCHEDULED beside its confirmation, and recorded attendance schedules the
// messages after the session (schedule_rules.h); a session that moved
// moves them, a cancelled booking or session cancels them.
//
// A fact older than `max_fact_age` is dropped unsent (a consumer group
// created late replays days of events); a person booking no longer holds
// is skipped; a template that cannot be filled in gives a FAILED delivery
// with the reason, and nothing is sent. When booking or the catalogue
// cannot be asked the fact waits, longer each time; a fact no retry can
// compose is dropped, logged and counted (training_notification_facts_dropped_
// total).

#include <atomic>
#include <map>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/notification/directory.h"
#include "services/notification/message_builder.h"
#include "services/notification/message_plan.h"
#include "services/notification/schedule_rules.h"
#include "services/notification/store.h"

namespace training::notification {

struct ComposerOptions {
  SenderConfig sender{};
  absl::Duration max_fact_age = absl::Hours(48);
  absl::Duration lease = absl::Seconds(60);
  // Wait before a fact is tried again when booking or the catalogue could
  // not be asked; doubled at each attempt up to max_retry_after.
  absl::Duration retry_after = absl::Seconds(5);
  absl::Duration max_retry_after = absl::Minutes(5);
  absl::Duration idle_poll = absl::Milliseconds(200);
  std::string owner{};  // unique per process
  ScheduleOptions schedule{};
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
  // What one message needs from booking and the catalogue, asked outside
  // any transaction; false when there is nobody (or no session) to write
  // about. Sessions are asked once per fact (by name and whether the
  // joining link is wanted).
  struct Prepared;
  using SessionCache = std::map<std::pair<std::string, bool>, SessionDetails>;
  absl::StatusOr<bool> PrepareBooking(const ClaimedFact& fact,
                                      const PlannedMessage& plan,
                                      const std::string& booking,
                                      SessionCache& sessions,
                                      std::vector<Prepared>& out);
  // Renders and stores the prepared messages in `tx`.
  absl::Status Store(sql::Transaction& tx, const ClaimedFact& fact,
                     std::vector<Prepared>& prepared);
  // The messages a place confirmed by `fact` will get later (reminders,
  // joining instructions), stored in `tx` beside its confirmation.
  absl::Status ScheduleFor(sql::Transaction& tx, const ClaimedFact& fact,
                           const Prepared& p, absl::Time now);
  absl::Status AddSlot(sql::Transaction& tx, const ClaimedFact& fact,
                       const std::string& booking, const std::string& session,
                       const ScheduleSlot& slot, bool once_per_booking,
                       absl::Time now);
  // A session that moved moves its scheduled messages; a cancelled session
  // or booking cancels them.
  absl::Status ChangeSchedule(const ClaimedFact& fact, absl::Time now);
  // Attendance recorded: feedback requests to those who came, no-show
  // notices to those who did not when the course has a no-show policy.
  absl::Status ScheduleAfterSession(const ClaimedFact& fact, absl::Time now);
  absl::Status ComposeSessionWide(const ClaimedFact& fact,
                                  const PlannedMessage& plan,
                                  SessionCache& sessions);

  NotificationStore* store_;
  Directory* directory_;
  const Clock* clock_;
  const ComposerOptions options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_COMPOSER_H_
