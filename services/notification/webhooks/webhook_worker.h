#ifndef TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_WORKER_H_
#define TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_WORKER_H_

// Sends webhook deliveries. A sender claims a due delivery of an active
// subscription (SENDING, under a lease longer than an attempt may take),
// signs the stored body with the subscription's secrets, POSTs it
// (webhook_http.h), and records the attempt while it still holds the
// lease:
//
//   2xx        SUCCEEDED; the subscription's run of failures ends
//   otherwise  PENDING until the schedule's next wait (retry_schedule.h),
//              FAILED when the schedule is used up; the subscription's
//              run of failures grows, and a run as long as DisablePolicy
//              says disables it
//
// The one window where a delivery goes twice: the receiver answered 2xx
// and the sender died before recording it (crash point
// webhooks.after_post). Another sender takes it over when the lease ends
// and sends it again under the same `webhook-id`, which the receiver uses
// to drop the copy.

#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/notification/webhooks/secret_box.h"
#include "services/notification/webhooks/webhook_http.h"
#include "services/notification/webhooks/webhook_store.h"

namespace training::notification::webhooks {

struct WebhookWorkerOptions {
  HttpOptions http;
  std::vector<absl::Duration> retry_schedule;
  DisablePolicy disable;
  // Longer than an attempt may take, so that a live sender keeps it.
  absl::Duration lease = absl::Seconds(30);
  int senders = 4;
  absl::Duration idle_poll = absl::Milliseconds(100);
  // Finished deliveries older than this are deleted.
  absl::Duration retention = absl::Hours(24 * 30);
  std::string owner;  // unique per process
};

class WebhookWorker {
 public:
  // Nothing is owned; all must outlive this.
  WebhookWorker(WebhookStore* store, const SecretBox* secrets,
                const Clock* clock, WebhookWorkerOptions options);
  ~WebhookWorker();

  // Sends claimed delivery `d` with `http` and records the attempt,
  // claiming the next due one in the same transaction (nullopt: none).
  absl::StatusOr<std::optional<ClaimedWebhookDelivery>> SendOne(
      WebhookHttp& http, const std::string& owner,
      const ClaimedWebhookDelivery& d);

  void Start();
  void Stop();
  // Ends the idle senders' wait: deliveries were just stored (by this
  // process's fan-out), so that they go now rather than at the next poll.
  void Wake();

 private:
  // Waits up to `idle_poll` for Wake() or Stop().
  void Idle();
  // One POST of `d`, signed: what came of it, with the retry time of a
  // failure (none when the schedule is used up).
  AttemptOutcome Attempt(WebhookHttp& http, const ClaimedWebhookDelivery& d);

  // The signing keys of a claimed delivery: the current secret's, and the
  // previous one's while its grace period lasts.
  absl::StatusOr<std::vector<std::string>> SigningKeys(
      const ClaimedWebhookDelivery& d, absl::Time now) const;

  WebhookStore* store_;
  const SecretBox* secrets_;
  const Clock* clock_;
  const WebhookWorkerOptions options_;
  absl::Mutex mu_;
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
  absl::Mutex wake_mu_;
  int64_t wakes_ ABSL_GUARDED_BY(wake_mu_) = 0;
  absl::Notification stop_;
  std::vector<std::thread> threads_;
};

}  // namespace training::notification::webhooks

#endif  // TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_WORKER_H_
