#include "services/notification/webhooks/webhook_worker.h"

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/runtime/crash_point.h"
#include "common/status_macros.h"
#include "services/notification/webhooks/retry_schedule.h"
#include "services/notification/webhooks/signature.h"

namespace training::notification::webhooks {
namespace {

metrics::CounterFamily& Outcomes() {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_webhook_attempts_total",
      "Webhook attempts by outcome: succeeded, retrying (failed, to be tried "
      "again), failed (the schedule used up).",
      {"outcome"});
  return family;
}

void ObserveLag(absl::Duration lag) {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_webhook_lag_seconds", "From the event to the receiver's 2xx.",
      {}, {0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600, 86400});
  family.Observe({}, absl::ToDoubleSeconds(lag));
}

void CountDisabled() {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_webhook_disabled_total",
      "Subscriptions disabled for failing too long.", {});
  family.Add({});
}

}  // namespace

WebhookWorker::WebhookWorker(WebhookStore* store, const SecretBox* secrets,
                             const Clock* clock, WebhookWorkerOptions options)
    : store_(store),
      secrets_(secrets),
      clock_(clock),
      options_(std::move(options)) {
  for (const char* outcome : {"succeeded", "retrying", "failed"}) {
    Outcomes().Child({outcome});
  }
}

WebhookWorker::~WebhookWorker() { Stop(); }

absl::StatusOr<std::vector<std::string>> WebhookWorker::SigningKeys(
    const ClaimedWebhookDelivery& d, absl::Time now) const {
  std::vector<std::string> keys;
  ASSIGN_OR_RETURN(std::string secret,
                   secrets_->Open(d.sealed_secret, d.webhook));
  ASSIGN_OR_RETURN(std::string key, SecretKey(secret));
  keys.push_back(std::move(key));
  if (!d.sealed_previous_secret.empty() && now < d.previous_secret_expire) {
    ASSIGN_OR_RETURN(std::string previous,
                     secrets_->Open(d.sealed_previous_secret, d.webhook));
    ASSIGN_OR_RETURN(std::string previous_key, SecretKey(previous));
    keys.push_back(std::move(previous_key));
  }
  return keys;
}

AttemptOutcome WebhookWorker::Attempt(WebhookHttp& http,
                                      const ClaimedWebhookDelivery& d) {
  const absl::Time start = clock_->Now();
  AttemptOutcome outcome{.start = start};
  absl::StatusOr<std::vector<std::string>> keys = SigningKeys(d, start);
  if (!keys.ok()) {
    // A secret that does not open (the keyring lost its key) is the
    // service's failure: the attempt fails and is retried once fixed.
    outcome.error = "the subscription's secret cannot be read";
    log::Error("webhooks.secret_unreadable", {{"webhook", log::Id(d.webhook)}});
  } else {
    const int64_t timestamp = absl::ToUnixSeconds(start);
    runtime::CrashPoint("webhooks.before_post");
    const HttpReply reply =
        http.Post(d.target_uri,
                  {{"Content-Type", "application/json"},
                   {"webhook-id", d.id},
                   {"webhook-timestamp", absl::StrCat(timestamp)},
                   {"webhook-signature",
                    SignatureHeader(*keys, d.id, timestamp, d.payload)}},
                  d.payload);
    outcome.http_status = reply.status;
    outcome.latency = reply.latency;
    outcome.error = reply.error;
    outcome.succeeded = reply.ok();
    if (outcome.succeeded) runtime::CrashPoint("webhooks.after_post");
  }
  if (!outcome.succeeded) {
    absl::MutexLock lock(&mu_);
    if (std::optional<absl::Duration> wait =
            RetryWait(options_.retry_schedule, d.schedule_step, random_)) {
      outcome.retry_at = clock_->Now() + *wait;
    }
  }
  return outcome;
}

absl::StatusOr<std::optional<ClaimedWebhookDelivery>> WebhookWorker::SendOne(
    WebhookHttp& http, const std::string& owner,
    const ClaimedWebhookDelivery& d) {
  const AttemptOutcome outcome = Attempt(http, d);
  const absl::Time now = clock_->Now();
  bool disabled = false;
  std::optional<ClaimedWebhookDelivery> next;
  ASSIGN_OR_RETURN(bool recorded, store_->RecordAndClaim(
                                      d, owner, outcome, options_.disable, now,
                                      options_.lease, &disabled, &next));
  runtime::CrashPoint("webhooks.after_record");
  if (!recorded) {
    log::Warning("webhooks.lease_lost", {{"delivery", log::Id(d.id)}});
    return next;
  }
  if (outcome.succeeded) {
    Outcomes().Add({"succeeded"});
    ObserveLag(now - d.event_time);
  } else {
    Outcomes().Add({outcome.retry_at ? "retrying" : "failed"});
  }
  if (disabled) {
    CountDisabled();
    log::Warning("webhooks.disabled", {{"webhook", log::Id(d.webhook)}});
  }
  return next;
}

void WebhookWorker::Start() {
  for (int i = 0; i < std::max(1, options_.senders); ++i) {
    threads_.emplace_back([this, i] {
      const std::string owner = absl::StrCat(options_.owner, "/w", i);
      WebhookHttp http(options_.http);
      absl::Time next_purge = absl::InfinitePast();
      // The delivery this sender holds: claimed alone when idle, then with
      // the record of the one before (one transaction per delivery).
      std::optional<ClaimedWebhookDelivery> held;
      while (!stop_.HasBeenNotified()) {
        if (i == 0 && clock_->Now() >= next_purge) {
          next_purge = clock_->Now() + absl::Hours(1);
          absl::StatusOr<int64_t> purged =
              store_->Purge(clock_->Now() - options_.retention);
          if (!purged.ok()) next_purge = clock_->Now() + absl::Minutes(1);
        }
        absl::StatusOr<std::optional<ClaimedWebhookDelivery>> next =
            held ? SendOne(http, owner, *held)
                 : store_->ClaimDelivery(owner, clock_->Now(), options_.lease);
        // A failure leaves a held delivery to its lease: another sender
        // (or this one) takes it up when the lease ends.
        if (!next.ok()) {
          log::Warning("webhooks.send_error", {{"code", next.status().code()}});
          next = std::nullopt;
        }
        held.swap(*next);
        if (!held) Idle();
      }
      // Stopping: what this sender holds goes back, due at once, rather
      // than waiting out its lease.
      if (held) (void)store_->Release(*held, owner, clock_->Now());
    });
  }
}

void WebhookWorker::Wake() {
  absl::MutexLock lock(&wake_mu_);
  ++wakes_;
}

void WebhookWorker::Idle() {
  absl::MutexLock lock(&wake_mu_);
  const int64_t seen = wakes_;
  auto woken = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(wake_mu_) {
    return wakes_ != seen || stop_.HasBeenNotified();
  };
  wake_mu_.AwaitWithTimeout(absl::Condition(&woken), options_.idle_poll);
}

void WebhookWorker::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  Wake();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace training::notification::webhooks
