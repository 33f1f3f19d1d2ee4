#ifndef TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_STORE_H_
#define TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_STORE_H_

// What the webhooks keep, in the notification service's database (its own
// migrations, component "webhooks"):
//
//   webhooks            subscriptions, their secrets sealed (secret_box.h)
//   webhook_deliveries  one row per event and subscription, unique by the
//                       pair so that an event handled twice is delivered
//                       once; its id is the `webhook-id`; the body is
//                       stored, so that every attempt sends the same bytes
//   webhook_attempts    every attempt: time, HTTP status, latency, error
//
// Deliveries are claimed with a lease like e-mail deliveries: a sender
// moves one to SENDING until now + lease, and records the outcome only
// while it still holds it; one that died mid-send leaves it to be taken
// over when the lease ends.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "training/notification/v1/webhooks.pb.h"

namespace training::notification::webhooks {

std::vector<sql::Migration> WebhookMigrations();

// A subscription as kept.
struct WebhookRecord {
  std::string id{};            // 20 hex digits
  std::string organisation{};  // empty: an admin's
  std::string key_name{};      // the key that created it, for audit
  std::string target_uri{};
  std::vector<std::string> event_types{};  // empty: every type allowed
  std::string description{};
  v1::Webhook::State state = v1::Webhook::ACTIVE;
  std::string disabled_reason{};
  std::string sealed_secret{};
  std::string sealed_previous_secret{};
  absl::Time previous_secret_expire = absl::InfinitePast();
  int consecutive_failures = 0;
  absl::Time failing_since = absl::InfinitePast();
  absl::Time last_success = absl::InfinitePast();
  std::string request_id{};
  std::string request_fingerprint{};
  absl::Time create_time{};
  absl::Time update_time{};
  std::string etag{};
};

// A delivery to be stored by the fan-out.
struct NewWebhookDelivery {
  std::string webhook{};
  std::string event_id{};
  std::string event_type{};
  absl::Time event_time{};
  std::string payload{};
};

// A delivery claimed for sending, with what its attempt needs.
struct ClaimedWebhookDelivery {
  std::string id{};
  std::string webhook{};
  std::string target_uri{};
  std::string payload{};
  std::string sealed_secret{};
  std::string sealed_previous_secret{};
  absl::Time previous_secret_expire = absl::InfinitePast();
  int attempt = 0;  // this one's number, from 1
  // Its step in the retry schedule, from 1: attempts since it was last
  // replayed (a replay starts the schedule again).
  int schedule_step = 0;
  absl::Time event_time{};
};

// One attempt's outcome.
struct AttemptOutcome {
  absl::Time start{};
  int http_status = 0;
  absl::Duration latency{};
  std::string error{};  // empty on success
  bool succeeded = false;
  // For a failure: when to try again; nullopt: the delivery FAILED.
  std::optional<absl::Time> retry_at{};
};

// When a subscription that keeps failing is disabled: after at least
// `failures` attempts in a row failed, the first at least `period` ago.
struct DisablePolicy {
  int failures = 20;
  absl::Duration period = absl::Hours(24);
};

struct DeliveryListFilter {
  std::vector<int> states;
  std::optional<absl::Time> start;
  std::optional<absl::Time> end;
};

class WebhookStore {
 public:
  // Applies the migrations; `db` is not owned and must outlive this.
  static absl::StatusOr<std::unique_ptr<WebhookStore>> Open(sql::Database* db);

  sql::Database& db() { return *db_; }

  // --- Subscriptions (webhook_store.cc) ---
  // Stores a new subscription. When `r.request_id` is set and that owner
  // created one under it before, nothing is stored and that one is
  // returned instead (the caller compares fingerprints).
  absl::StatusOr<WebhookRecord> CreateWebhook(const WebhookRecord& r);
  absl::StatusOr<std::optional<WebhookRecord>> GetWebhook(
      const std::string& id);
  // Oldest first; only `organisation`'s unless `all`.
  absl::StatusOr<std::vector<WebhookRecord>> ListWebhooks(
      bool all, const std::string& organisation,
      std::optional<std::pair<int64_t, std::string>> after, int limit);
  // Stores `r`'s changeable fields (target, types, description, state,
  // reason, secrets) and etag, when the stored etag is still
  // `expected_etag`: false otherwise. The run of failures, which senders
  // count without changing the etag, is kept unless `reset_failures`.
  absl::StatusOr<bool> UpdateWebhook(const WebhookRecord& r,
                                     const std::string& expected_etag,
                                     bool reset_failures, absl::Time now);
  // Deletes it with its deliveries and attempts; false when none was.
  absl::StatusOr<bool> DeleteWebhook(const std::string& id);
  // Subscriptions by state, for the metrics.
  absl::StatusOr<std::map<int, int64_t>> WebhooksByState();

  // --- Fan-out (webhook_fan_out.cc, in the stream consumer's transaction)
  // Every subscription, whatever its state (a paused one's deliveries wait).
  static absl::StatusOr<std::vector<WebhookRecord>> Subscriptions(
      sql::Transaction& tx);
  // Stores a delivery due now; nothing when that event was stored for that
  // subscription before.
  static absl::Status AddDelivery(sql::Transaction& tx,
                                  const NewWebhookDelivery& d, absl::Time now);

  // --- Sending (webhook_store_deliveries.cc) ---
  // The next due delivery of an ACTIVE subscription, moved to SENDING and
  // leased to `owner` until now + lease: a PENDING one whose time has
  // come, or a SENDING one whose lease ran out.
  absl::StatusOr<std::optional<ClaimedWebhookDelivery>> ClaimDelivery(
      const std::string& owner, absl::Time now, absl::Duration lease);
  // Records an attempt while `owner` holds the lease, and the
  // subscription's run of failures; a failure that completes the run
  // `disable` describes disables it. Returns whether it was recorded (the
  // lease was still held) and sets `disabled` when it disabled the
  // subscription.
  absl::StatusOr<bool> RecordAttempt(const ClaimedWebhookDelivery& d,
                                     const std::string& owner,
                                     const AttemptOutcome& outcome,
                                     const DisablePolicy& disable,
                                     absl::Time now, bool* disabled);

  // RecordAttempt and, in the same transaction, ClaimDelivery: a busy
  // sender's one transaction per delivery. `next` is the claimed one.
  absl::StatusOr<bool> RecordAndClaim(
      const ClaimedWebhookDelivery& d, const std::string& owner,
      const AttemptOutcome& outcome, const DisablePolicy& disable,
      absl::Time now, absl::Duration lease, bool* disabled,
      std::optional<ClaimedWebhookDelivery>* next);

  // --- The log (webhook_store_deliveries.cc) ---
  absl::StatusOr<std::optional<v1::WebhookDelivery>> GetDelivery(
      const std::string& webhook, const std::string& id);
  // Newest first, after the page key (create time, id) when given.
  absl::StatusOr<std::vector<v1::WebhookDelivery>> ListDeliveries(
      const std::string& webhook, const DeliveryListFilter& filter,
      std::optional<std::pair<int64_t, std::string>> after, int limit);
  // Queues deliveries to go again now: `id` alone when set, else those
  // created in [start, end) (FAILED ones, or every one not under way when
  // `include_succeeded`), at most `limit`. Returns how many.
  absl::StatusOr<int> Replay(const std::string& webhook, const std::string& id,
                             absl::Time start, absl::Time end,
                             bool include_succeeded, int limit, absl::Time now);
  // Deliveries still to succeed or fail (PENDING, SENDING), for the
  // metrics.
  absl::StatusOr<int64_t> WaitingDeliveries();
  // Gives a claimed delivery back unsent (the sender is stopping): due now,
  // its attempt not counted.
  absl::Status Release(const ClaimedWebhookDelivery& d,
                       const std::string& owner, absl::Time now);
  // When the oldest delivery still waiting for an ACTIVE subscription was
  // created; nullopt when none waits.
  absl::StatusOr<std::optional<absl::Time>> OldestWaiting();
  // Deletes finished deliveries (and their attempts) created before
  // `before`, and any left by a subscription deleted while its event was
  // being fanned out; returns how many.
  absl::StatusOr<int64_t> Purge(absl::Time before);

 private:
  explicit WebhookStore(sql::Database* db) : db_(db) {}

  absl::StatusOr<WebhookRecord> CreateOnce(const WebhookRecord& r);
  static absl::StatusOr<std::optional<ClaimedWebhookDelivery>> ClaimIn(
      sql::Transaction& tx, const std::string& owner, absl::Time now,
      absl::Duration lease);
  static absl::StatusOr<bool> RecordIn(sql::Transaction& tx,
                                       const ClaimedWebhookDelivery& d,
                                       const std::string& owner,
                                       const AttemptOutcome& outcome,
                                       const DisablePolicy& disable,
                                       absl::Time now, bool* disabled);

  sql::Database* db_;
};

// A new subscription's id (20 hex digits) and a delivery's (`msg_` and 20
// hex digits: the webhook-id).
std::string NewWebhookId();
std::string NewDeliveryId();

}  // namespace training::notification::webhooks

#endif  // TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_STORE_H_
