#include "services/notification/delivery_worker.h"

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/runtime/crash_point.h"
#include "common/status_macros.h"
#include "services/notification/delivery_rules.h"

namespace training::notification {
namespace {

void CountSent(v1::MessageKind kind) {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_notification_sent_total",
      "Messages the relay accepted, by kind.", {"kind"});
  family.Add({v1::MessageKind_Name(kind)});
}

void CountFailed(v1::MessageKind kind, const std::string& status) {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_notification_failed_total",
      "Messages given up, by kind and Notify status.", {"kind", "status"});
  family.Add({v1::MessageKind_Name(kind), status});
}

void CountRetry(v1::MessageKind kind) {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_notification_retries_total",
      "Attempts that failed temporarily and were put back, by kind.", {"kind"});
  family.Add({v1::MessageKind_Name(kind)});
}

void ObserveLag(absl::Duration lag) {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_notification_lag_seconds",
      "From the event to the relay's acceptance.", {},
      {1, 5, 15, 60, 300, 1800, 3600, 21600});
  family.Observe({}, absl::ToDoubleSeconds(lag));
}

// Every kind's counters from 0, so that a rule on a failure not seen yet
// finds its series (and a dashboard shows 0, not nothing).
void ZeroCounters() {
  for (int k = v1::MessageKind_MIN; k <= v1::MessageKind_MAX; ++k) {
    const auto kind = static_cast<v1::MessageKind>(k);
    if (kind == v1::MESSAGE_KIND_UNSPECIFIED) continue;
    const std::string name = v1::MessageKind_Name(kind);
    metrics::DefaultRegistry()
        .Counter("training_notification_sent_total",
                 "Messages the relay accepted, by kind.", {"kind"})
        .Child({name});
    for (const char* status :
         {"permanent-failure", "temporary-failure", "technical-failure"}) {
      metrics::DefaultRegistry()
          .Counter("training_notification_failed_total",
                   "Messages given up, by kind and Notify status.",
                   {"kind", "status"})
          .Child({name, status});
    }
  }
}

}  // namespace

DeliveryWorker::DeliveryWorker(NotificationStore* store, MailRelay* relay,
                               const Clock* clock, DeliveryOptions options)
    : store_(store),
      relay_(relay),
      clock_(clock),
      options_(std::move(options)) {
  ZeroCounters();
}

DeliveryWorker::~DeliveryWorker() { Stop(); }

std::optional<absl::Time> DeliveryWorker::WaitForTurn() {
  if (options_.max_rate <= 0) return absl::InfinitePast();
  absl::Time turn;
  {
    absl::MutexLock lock(&mu_);
    turn = std::max(absl::Now(), next_send_);
    next_send_ = turn + absl::Seconds(1) / options_.max_rate;
  }
  const absl::Duration wait = turn - absl::Now();
  if (wait > absl::ZeroDuration() &&
      stop_.WaitForNotificationWithTimeout(wait)) {
    return std::nullopt;
  }
  return turn;
}

void DeliveryWorker::GiveBackTurn(absl::Time turn) {
  if (options_.max_rate <= 0) return;
  absl::MutexLock lock(&mu_);
  // Only the last turn handed out can be given back.
  if (next_send_ == turn + absl::Seconds(1) / options_.max_rate) {
    next_send_ = turn;
  }
}

absl::StatusOr<bool> DeliveryWorker::SendOne(const std::string& owner) {
  // The turn is taken before the claim, so that a wait for the send rate
  // never eats into the lease.
  std::optional<absl::Time> turn = WaitForTurn();
  if (!turn) return false;  // stopping
  absl::StatusOr<std::optional<ClaimedDelivery>> claimed =
      store_->ClaimDelivery(owner, clock_->Now(), options_.lease);
  if (!claimed.ok() || !*claimed) GiveBackTurn(*turn);
  if (!claimed.ok()) return claimed.status();
  if (!*claimed) return false;
  ClaimedDelivery* d = &**claimed;
  // The team's own address (enquiries) and an admin's test address are
  // neither capped nor suppressed: the team must hear of every enquiry.
  const bool ours = d->role == v1::Delivery::TRAINING_TEAM ||
                    d->role == v1::Delivery::TEST_RECIPIENT;
  std::optional<RecipientBlock> block;
  if (!ours) {
    ASSIGN_OR_RETURN(
        block, store_->CheckRecipient(d->recipient, clock_->Now(),
                                      options_.max_per_recipient_per_day));
  }
  if (block) {
    // Suppressed, or written to too often today: failed without an attempt.
    GiveBackTurn(*turn);
    ASSIGN_OR_RETURN(bool marked,
                     store_->MarkFailed(d->id, owner, block->notify_status,
                                        block->reason, clock_->Now()));
    if (marked) CountFailed(d->kind, block->notify_status);
    return true;
  }
  runtime::CrashPoint("notification.before_smtp");
  const RelayReply reply =
      relay_->Send(options_.from_address, d->recipient, d->message);
  const SendOutcome outcome =
      ClassifySmtpReply(reply.code, reply.transport_failed);
  const absl::Time now = clock_->Now();
  bool recorded = false;
  if (outcome == SendOutcome::kAccepted) {
    runtime::CrashPoint("notification.after_smtp_accept");
    ASSIGN_OR_RETURN(recorded, store_->MarkSent(d->id, owner, now));
    runtime::CrashPoint("notification.after_mark_sent");
    CountSent(d->kind);
    ObserveLag(now - d->event_time);
  } else if (outcome == SendOutcome::kPermanent) {
    // Suppressed first: a crash before the outcome is recorded then fails
    // the retry without writing to the address again.
    if (!ours) {
      RETURN_IF_ERROR(store_->Suppress(d->id, d->recipient, reply.error, now));
    }
    ASSIGN_OR_RETURN(
        recorded,
        store_->MarkFailed(d->id, owner,
                           NotifyStatusName(NotifyStatus::kPermanentFailure),
                           reply.error, now));
    CountFailed(d->kind, "permanent-failure");
  } else if (d->attempts >= options_.max_attempts) {
    const NotifyStatus status =
        outcome == SendOutcome::kTemporary && !reply.transport_failed
            ? NotifyStatus::kTemporaryFailure
            : NotifyStatus::kTechnicalFailure;
    ASSIGN_OR_RETURN(recorded,
                     store_->MarkFailed(d->id, owner, NotifyStatusName(status),
                                        reply.error, now));
    CountFailed(d->kind, NotifyStatusName(status));
  } else {
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu_);
      delay = RetryDelay(d->attempts - 1, options_.retry_base,
                         options_.retry_cap, random_);
    }
    ASSIGN_OR_RETURN(recorded, store_->MarkRetrying(d->id, owner, now + delay,
                                                    reply.error, now));
    CountRetry(d->kind);
  }
  if (!recorded) {
    log::Warning("notification.lease_lost", {{"delivery", log::Id(d->id)}});
  }
  return true;
}

void DeliveryWorker::Start() {
  for (int i = 0; i < std::max(1, options_.senders); ++i) {
    threads_.emplace_back([this, i] {
      const std::string owner = absl::StrCat(options_.owner, "/", i);
      while (!stop_.HasBeenNotified()) {
        absl::StatusOr<bool> sent = SendOne(owner);
        if (!sent.ok()) {
          log::Warning("notification.send_error",
                       {{"code", sent.status().code()}});
        }
        if (!sent.ok() || !*sent) {
          stop_.WaitForNotificationWithTimeout(options_.idle_poll);
        }
      }
    });
  }
}

void DeliveryWorker::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace training::notification
