#ifndef TRAINING_SERVICES_NOTIFICATION_DELIVERY_WORKER_H_
#define TRAINING_SERVICES_NOTIFICATION_DELIVERY_WORKER_H_

// Sends stored messages. A sender claims a due delivery (moving it to
// SENDING under a lease longer than an SMTP attempt can take), waits for
// the send-rate limit, hands the message to the relay, and records the
// outcome only while it still holds the lease:
//
//   2xx                  SENT (`delivered`)
//   4xx, no connection   RETRYING after a full-jitter backoff, FAILED
//                        (`temporary-failure`, or `technical-failure` for
//                        connection failures) once attempts are used up
//   5xx                  FAILED (`permanent-failure`) at once
//   530/535              as 4xx, but `technical-failure` when given up
//
// The one window where a message can go twice: the relay accepted it and
// the sender died before recording SENT (crash point
// notification.after_smtp_accept). Another sender takes the delivery over
// when the lease ends and sends it again, with the same Message-ID, so a
// mailbox that drops duplicates by Message-ID shows it once.

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/notification/mail_relay.h"
#include "services/notification/store.h"

namespace training::notification {

struct DeliveryOptions {
  std::string from_address;  // the envelope sender
  int max_attempts = 8;
  absl::Duration retry_base = absl::Seconds(30);
  absl::Duration retry_cap = absl::Hours(1);
  // Longer than an SMTP attempt may take, so that a live sender keeps it.
  absl::Duration lease = absl::Seconds(90);
  // Messages per second to the relay, over this process; 0: no limit.
  double max_rate = 10;
  int senders = 2;
  absl::Duration idle_poll = absl::Milliseconds(200);
  std::string owner;  // unique per process
  // Messages one address may be sent in 24 hours: a guard against a loop
  // writing to someone again and again. 0: no limit.
  int max_per_recipient_per_day = 50;
};

class DeliveryWorker {
 public:
  // Nothing is owned; all must outlive this.
  DeliveryWorker(NotificationStore* store, MailRelay* relay, const Clock* clock,
                 DeliveryOptions options);
  ~DeliveryWorker();

  // Sends the next due delivery; false when none was due.
  absl::StatusOr<bool> SendOne(const std::string& owner);

  void Start();
  void Stop();

 private:
  // Takes the next turn under the send-rate limit and waits for it; its
  // time, or nullopt when stopping. GiveBackTurn returns an unused one.
  std::optional<absl::Time> WaitForTurn();
  void GiveBackTurn(absl::Time turn);

  NotificationStore* store_;
  MailRelay* relay_;
  const Clock* clock_;
  const DeliveryOptions options_;
  absl::Mutex mu_;
  absl::Time next_send_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::vector<std::thread> threads_;
};

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_DELIVERY_WORKER_H_
