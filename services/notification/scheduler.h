#ifndef TRAINING_SERVICES_NOTIFICATION_SCHEDULER_H_
#define TRAINING_SERVICES_NOTIFICATION_SCHEDULER_H_

// Sends the scheduled messages when their time comes (schedule_rules.h):
// claims a due one with a lease, asks booking and the catalogue how things
// stand now (outside any transaction), and then either renders it and
// queues it for the senders, moves it (its session moved, its joining link
// is not out yet), or cancels it with the reason in the delivery log. Only
// the lease's holder may do any of these, so that two replicas never render
// one twice; a replica that died holding one is replaced when the lease
// runs out, and the message keeps the Message-ID it was given when
// scheduled.

#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/auth/hmac_keys.h"
#include "common/time/clock.h"
#include "services/notification/directory.h"
#include "services/notification/message_builder.h"
#include "services/notification/store.h"

namespace training::notification {

struct SchedulerOptions {
  SenderConfig sender{};
  absl::Duration lease = absl::Seconds(60);
  // Wait before asking again when booking or the catalogue could not be
  // asked.
  absl::Duration retry_after = absl::Seconds(30);
  absl::Duration idle_poll = absl::Milliseconds(500);
  std::string owner{};  // unique per process
  // Where attendees give feedback (the feedback request's link); empty:
  // `{public_base_url}/feedback`.
  std::string feedback_form_url{};
};

// The token of a feedback request's opt-out link: the delivery's id and a
// MAC of it under the current address-hash key.
std::string FeedbackOptOutToken(const auth::HmacKeys& keys,
                                const std::string& delivery_id);
// The delivery id a token names; INVALID_ARGUMENT when no key made it.
absl::StatusOr<std::string> CheckFeedbackOptOutToken(const auth::HmacKeys& keys,
                                                     const std::string& token);

class Scheduler {
 public:
  // Nothing is owned; all must outlive this.
  Scheduler(NotificationStore* store, Directory* directory, const Clock* clock,
            const auth::HmacKeys* keys, SchedulerOptions options);
  ~Scheduler();

  // Settles the next due message; false when none was due.
  absl::StatusOr<bool> SettleOne();

  void Start();
  void Stop();

 private:
  absl::Status Settle(const DueMessage& due, absl::Time now);
  absl::Status Render(const DueMessage& due,
                      const training::booking::v1::AttendeeContact& contact,
                      const SessionDetails& session,
                      const std::map<std::string, std::string>& extras,
                      absl::Time now);

  NotificationStore* store_;
  Directory* directory_;
  const Clock* clock_;
  const auth::HmacKeys* keys_;
  const SchedulerOptions options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_SCHEDULER_H_
