// Webhook deliveries: claiming and recording attempts, the log, replays.

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/random/unique_bytes.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/notification/webhooks/webhook_store.h"

namespace training::notification::webhooks {
namespace {

// Delivery states as stored: WebhookDelivery.State's numbers.
constexpr int64_t kPending = v1::WebhookDelivery::PENDING;
constexpr int64_t kSucceeded = v1::WebhookDelivery::SUCCEEDED;
constexpr int64_t kFailed = v1::WebhookDelivery::FAILED;

constexpr char kDeliveryColumns[] =
    "id, webhook, event_id, event_type, event_us, state, attempts, "
    "next_attempt_us, last_status, last_error, succeed_us, create_us";

absl::StatusOr<v1::WebhookDelivery> DeliveryAt(const sql::ResultSet& rows,
                                               size_t i) {
  v1::WebhookDelivery d;
  ASSIGN_OR_RETURN(std::string id, rows.GetString(i, "id"));
  ASSIGN_OR_RETURN(std::string webhook, rows.GetString(i, "webhook"));
  d.set_name(absl::StrCat("webhooks/", webhook, "/deliveries/", id));
  ASSIGN_OR_RETURN(*d.mutable_event_id(), rows.GetString(i, "event_id"));
  ASSIGN_OR_RETURN(*d.mutable_event_type(), rows.GetString(i, "event_type"));
  ASSIGN_OR_RETURN(int64_t event_us, rows.GetInt64(i, "event_us"));
  *d.mutable_event_time() = ToProto(absl::FromUnixMicros(event_us));
  ASSIGN_OR_RETURN(int64_t state, rows.GetInt64(i, "state"));
  d.set_state(static_cast<v1::WebhookDelivery::State>(state));
  ASSIGN_OR_RETURN(int64_t attempts, rows.GetInt64(i, "attempts"));
  d.set_attempt_count(static_cast<int32_t>(attempts));
  ASSIGN_OR_RETURN(int64_t next_us, rows.GetInt64(i, "next_attempt_us"));
  if (state == kPending) {
    *d.mutable_next_attempt_time() = ToProto(absl::FromUnixMicros(next_us));
  }
  ASSIGN_OR_RETURN(int64_t status, rows.GetInt64(i, "last_status"));
  d.set_last_http_status(static_cast<int32_t>(status));
  ASSIGN_OR_RETURN(*d.mutable_last_error(), rows.GetString(i, "last_error"));
  ASSIGN_OR_RETURN(int64_t succeed_us, rows.GetInt64(i, "succeed_us"));
  if (succeed_us != 0) {
    *d.mutable_succeed_time() = ToProto(absl::FromUnixMicros(succeed_us));
  }
  ASSIGN_OR_RETURN(int64_t create_us, rows.GetInt64(i, "create_us"));
  *d.mutable_create_time() = ToProto(absl::FromUnixMicros(create_us));
  return d;
}

std::string DisabledReason(const WebhookRecord& w, const AttemptOutcome& o,
                           absl::Time now) {
  return absl::StrCat(
      "disabled at ",
      absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone()), " after ",
      w.consecutive_failures + 1, " attempts in a row failed since ",
      absl::FormatTime(absl::RFC3339_sec, w.failing_since, absl::UTCTimeZone()),
      "; last: ", o.error);
}

}  // namespace

absl::StatusOr<std::optional<ClaimedWebhookDelivery>> WebhookStore::ClaimIn(
    sql::Transaction& tx, const std::string& owner, absl::Time now,
    absl::Duration lease) {
  const int64_t now_us = absl::ToUnixMicros(now);
  // next_attempt_us is when a PENDING one is due and when a SENDING one's
  // lease ends.
  static const sql::SqlText kNext = [] {
    const std::string select =
        "SELECT d.id, d.webhook, d.payload, d.attempts, d.replay_base, "
        "d.event_us, "
        "w.target_uri, w.secret, w.previous_secret, "
        "w.previous_secret_expire_us FROM webhook_deliveries d JOIN "
        "webhooks w ON w.id = d.webhook WHERE d.state IN (1, 2) AND "
        "d.next_attempt_us <= $1 AND w.state = 1 "
        "ORDER BY d.next_attempt_us LIMIT 1";
    return sql::SqlText{select, select + " FOR UPDATE OF d SKIP LOCKED"};
  }();
  ASSIGN_OR_RETURN(sql::ResultSet rows,
                   tx.Query(kNext.For(tx.engine()), {now_us}));
  if (rows.empty()) return std::nullopt;
  ClaimedWebhookDelivery d;
  ASSIGN_OR_RETURN(d.id, rows.GetString(0, "id"));
  ASSIGN_OR_RETURN(d.webhook, rows.GetString(0, "webhook"));
  ASSIGN_OR_RETURN(d.payload, rows.GetString(0, "payload"));
  ASSIGN_OR_RETURN(int64_t attempts, rows.GetInt64(0, "attempts"));
  d.attempt = static_cast<int>(attempts) + 1;
  ASSIGN_OR_RETURN(int64_t replay_base, rows.GetInt64(0, "replay_base"));
  d.schedule_step = d.attempt - static_cast<int>(replay_base);
  ASSIGN_OR_RETURN(int64_t event_us, rows.GetInt64(0, "event_us"));
  d.event_time = absl::FromUnixMicros(event_us);
  ASSIGN_OR_RETURN(d.target_uri, rows.GetString(0, "target_uri"));
  ASSIGN_OR_RETURN(d.sealed_secret, rows.GetString(0, "secret"));
  ASSIGN_OR_RETURN(d.sealed_previous_secret,
                   rows.GetString(0, "previous_secret"));
  ASSIGN_OR_RETURN(int64_t expire_us,
                   rows.GetInt64(0, "previous_secret_expire_us"));
  d.previous_secret_expire = absl::FromUnixMicros(expire_us);
  ASSIGN_OR_RETURN(
      int64_t taken,
      tx.Execute("UPDATE webhook_deliveries SET state = 2, attempts = "
                 "attempts + 1, lease_owner = $2, next_attempt_us = $3 "
                 "WHERE id = $1 AND state IN (1, 2) AND "
                 "next_attempt_us <= $4",
                 {d.id, owner, absl::ToUnixMicros(now + lease), now_us}));
  if (taken != 1) return std::nullopt;
  return d;
}

absl::StatusOr<std::optional<ClaimedWebhookDelivery>>
WebhookStore::ClaimDelivery(const std::string& owner, absl::Time now,
                            absl::Duration lease) {
  std::optional<ClaimedWebhookDelivery> claimed;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(claimed, ClaimIn(tx, owner, now, lease));
        return absl::OkStatus();
      }));
  return claimed;
}

absl::StatusOr<bool> WebhookStore::RecordIn(sql::Transaction& tx,
                                            const ClaimedWebhookDelivery& d,
                                            const std::string& owner,
                                            const AttemptOutcome& o,
                                            const DisablePolicy& disable,
                                            absl::Time now, bool* disabled) {
  *disabled = false;
  const int64_t now_us = absl::ToUnixMicros(now);
  const int64_t state =
      o.succeeded ? kSucceeded : (o.retry_at ? kPending : kFailed);
  const int64_t next_us = o.retry_at ? absl::ToUnixMicros(*o.retry_at) : now_us;
  ASSIGN_OR_RETURN(
      int64_t n,
      tx.Execute(
          "UPDATE webhook_deliveries SET state = $3, next_attempt_us = "
          "$4, lease_owner = '', last_status = $5, last_error = $6, "
          "succeed_us = $7 WHERE id = $1 AND state = 2 AND lease_owner = "
          "$2",
          {d.id, owner, state, next_us, int64_t{o.http_status}, o.error,
           o.succeeded ? now_us : int64_t{0}}));
  if (n != 1) return false;  // the lease was lost
  RETURN_IF_ERROR(
      tx.Execute("INSERT INTO webhook_attempts (delivery, attempt, "
                 "attempt_us, http_status, latency_us, error) VALUES "
                 "($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery, "
                 "attempt) DO NOTHING",
                 {d.id, int64_t{d.attempt}, absl::ToUnixMicros(o.start),
                  int64_t{o.http_status}, absl::ToInt64Microseconds(o.latency),
                  o.error})
          .status());
  if (o.succeeded) {
    // Every sender's success would otherwise queue on this one row:
    // it is written when a run of failures ends, and its success
    // time at most once a second.
    RETURN_IF_ERROR(
        tx.Execute("UPDATE webhooks SET consecutive_failures = 0, "
                   "failing_since_us = 0, last_success_us = $2 WHERE id = $1 "
                   "AND (consecutive_failures <> 0 OR failing_since_us <> 0 OR "
                   "last_success_us < $3)",
                   {d.webhook, now_us, now_us - 1000000})
            .status());
    return true;
  }
  // Locked: a pause, a resume or another sender's disable committing
  // between this read and the write below must not be undone by it.
  ASSIGN_OR_RETURN(
      sql::ResultSet rows,
      tx.QueryForUpdate("SELECT state, consecutive_failures, "
                        "failing_since_us FROM webhooks WHERE id = $1",
                        {d.webhook}));
  if (rows.empty()) return true;
  WebhookRecord w;
  ASSIGN_OR_RETURN(int64_t w_state, rows.GetInt64(0, "state"));
  ASSIGN_OR_RETURN(int64_t failures, rows.GetInt64(0, "consecutive_failures"));
  w.consecutive_failures = static_cast<int>(failures);
  ASSIGN_OR_RETURN(int64_t since_us, rows.GetInt64(0, "failing_since_us"));
  w.failing_since = since_us == 0 ? o.start : absl::FromUnixMicros(since_us);
  const bool disable_now = w_state == v1::Webhook::ACTIVE &&
                           w.consecutive_failures + 1 >= disable.failures &&
                           now - w.failing_since >= disable.period;
  *disabled = disable_now;
  RETURN_IF_ERROR(
      tx.Execute("UPDATE webhooks SET consecutive_failures = "
                 "consecutive_failures + 1, failing_since_us = $2, state = $3, "
                 "disabled_reason = CASE WHEN $5 = 1 THEN $4 ELSE "
                 "disabled_reason END, update_us = CASE WHEN $5 = 1 THEN $6 "
                 "ELSE update_us END, etag = CASE WHEN $5 = 1 THEN $7 ELSE "
                 "etag END WHERE id = $1",
                 {d.webhook, absl::ToUnixMicros(w.failing_since),
                  disable_now ? int64_t{v1::Webhook::DISABLED} : w_state,
                  disable_now ? DisabledReason(w, o, now) : std::string(),
                  int64_t{disable_now ? 1 : 0}, now_us,
                  absl::BytesToHexString(random::UniqueBytes(8))})
          .status());
  return true;
}

absl::StatusOr<bool> WebhookStore::RecordAttempt(
    const ClaimedWebhookDelivery& d, const std::string& owner,
    const AttemptOutcome& o, const DisablePolicy& disable, absl::Time now,
    bool* disabled) {
  bool recorded = false;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(recorded,
                         RecordIn(tx, d, owner, o, disable, now, disabled));
        return absl::OkStatus();
      }));
  return recorded;
}

absl::StatusOr<bool> WebhookStore::RecordAndClaim(
    const ClaimedWebhookDelivery& d, const std::string& owner,
    const AttemptOutcome& o, const DisablePolicy& disable, absl::Time now,
    absl::Duration lease, bool* disabled,
    std::optional<ClaimedWebhookDelivery>* next) {
  bool recorded = false;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(recorded,
                         RecordIn(tx, d, owner, o, disable, now, disabled));
        ASSIGN_OR_RETURN(*next, ClaimIn(tx, owner, now, lease));
        return absl::OkStatus();
      }));
  return recorded;
}

absl::StatusOr<std::optional<v1::WebhookDelivery>> WebhookStore::GetDelivery(
    const std::string& webhook, const std::string& id) {
  std::optional<v1::WebhookDelivery> out;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        out.reset();
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query(absl::StrCat("SELECT ", kDeliveryColumns,
                                  ", payload FROM webhook_deliveries WHERE "
                                  "webhook = $1 AND id = $2"),
                     {webhook, id}));
        if (rows.empty()) return absl::OkStatus();
        ASSIGN_OR_RETURN(v1::WebhookDelivery d, DeliveryAt(rows, 0));
        ASSIGN_OR_RETURN(*d.mutable_payload(), rows.GetString(0, "payload"));
        ASSIGN_OR_RETURN(
            sql::ResultSet attempts,
            tx.Query("SELECT attempt_us, http_status, latency_us, error FROM "
                     "webhook_attempts WHERE delivery = $1 ORDER BY attempt",
                     {id}));
        for (size_t i = 0; i < attempts.size(); ++i) {
          v1::WebhookAttempt* a = d.add_attempts();
          ASSIGN_OR_RETURN(int64_t at_us, attempts.GetInt64(i, "attempt_us"));
          *a->mutable_attempt_time() = ToProto(absl::FromUnixMicros(at_us));
          ASSIGN_OR_RETURN(int64_t status, attempts.GetInt64(i, "http_status"));
          a->set_http_status(static_cast<int32_t>(status));
          ASSIGN_OR_RETURN(int64_t latency_us,
                           attempts.GetInt64(i, "latency_us"));
          *a->mutable_latency() = ToProto(absl::Microseconds(latency_us));
          ASSIGN_OR_RETURN(*a->mutable_error(), attempts.GetString(i, "error"));
        }
        out = std::move(d);
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::vector<v1::WebhookDelivery>> WebhookStore::ListDeliveries(
    const std::string& webhook, const DeliveryListFilter& filter,
    std::optional<std::pair<int64_t, std::string>> after, int limit) {
  std::vector<v1::WebhookDelivery> out;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        out.clear();
        sql::Params params = {webhook};
        std::string where = "webhook = $1";
        if (!filter.states.empty()) {
          std::vector<std::string> states;
          for (int s : filter.states) states.push_back(absl::StrCat(s));
          absl::StrAppend(&where, " AND state IN (",
                          absl::StrJoin(states, ", "), ")");
        }
        if (filter.start) {
          absl::StrAppend(
              &where, " AND create_us >= ",
              sql::AddParam(params, absl::ToUnixMicros(*filter.start)));
        }
        if (filter.end) {
          absl::StrAppend(
              &where, " AND create_us < ",
              sql::AddParam(params, absl::ToUnixMicros(*filter.end)));
        }
        if (after) {
          const std::string us = sql::AddParam(params, after->first);
          const std::string id = sql::AddParam(params, after->second);
          absl::StrAppend(&where, " AND (create_us < ", us,
                          " OR (create_us = ", us, " AND id < ", id, "))");
        }
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query(absl::StrCat("SELECT ", kDeliveryColumns,
                                  " FROM webhook_deliveries WHERE ", where,
                                  " ORDER BY create_us DESC, id DESC LIMIT ",
                                  sql::AddParam(params, int64_t{limit})),
                     params));
        for (size_t i = 0; i < rows.size(); ++i) {
          ASSIGN_OR_RETURN(v1::WebhookDelivery d, DeliveryAt(rows, i));
          out.push_back(std::move(d));
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<int> WebhookStore::Replay(const std::string& webhook,
                                         const std::string& id,
                                         absl::Time start, absl::Time end,
                                         bool include_succeeded, int limit,
                                         absl::Time now) {
  int replayed = 0;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        const int64_t now_us = absl::ToUnixMicros(now);
        // Never one under way: its sender still holds it.
        if (!id.empty()) {
          ASSIGN_OR_RETURN(
              int64_t n,
              tx.Execute("UPDATE webhook_deliveries SET state = 1, "
                         "replay_base = attempts, "
                         "next_attempt_us = $3 WHERE webhook = $1 AND id = $2 "
                         "AND state <> 2",
                         {webhook, id, now_us}));
          replayed = static_cast<int>(n);
          return absl::OkStatus();
        }
        const std::string states = include_succeeded ? "(1, 3, 4)" : "(4)";
        ASSIGN_OR_RETURN(
            int64_t n,
            tx.Execute(
                absl::StrCat("UPDATE webhook_deliveries SET state = 1, "
                             "replay_base = attempts, "
                             "next_attempt_us = $4 WHERE state <> 2 AND id IN "
                             "(SELECT id FROM "
                             "webhook_deliveries WHERE webhook = $1 AND "
                             "create_us >= $2 AND create_us < $3 AND state IN ",
                             states, " ORDER BY create_us LIMIT $5)"),
                {webhook, absl::ToUnixMicros(start), absl::ToUnixMicros(end),
                 now_us, int64_t{limit}}));
        replayed = static_cast<int>(n);
        return absl::OkStatus();
      }));
  return replayed;
}

absl::StatusOr<int64_t> WebhookStore::WaitingDeliveries() {
  int64_t out = 0;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(sql::ResultSet rows,
                         tx.Query("SELECT COUNT(*) AS n FROM "
                                  "webhook_deliveries WHERE state IN (1, 2)"));
        ASSIGN_OR_RETURN(out, rows.GetInt64(0, "n"));
        return absl::OkStatus();
      }));
  return out;
}

absl::Status WebhookStore::Release(const ClaimedWebhookDelivery& d,
                                   const std::string& owner, absl::Time now) {
  return sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        return tx
            .Execute(
                "UPDATE webhook_deliveries SET state = 1, attempts = "
                "attempts - 1, lease_owner = '', next_attempt_us = $3 WHERE "
                "id = $1 AND state = 2 AND lease_owner = $2",
                {d.id, owner, absl::ToUnixMicros(now)})
            .status();
      });
}

absl::StatusOr<std::optional<absl::Time>> WebhookStore::OldestWaiting() {
  std::optional<absl::Time> out;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query("SELECT MIN(d.create_us) AS oldest FROM "
                     "webhook_deliveries d JOIN webhooks w ON w.id = "
                     "d.webhook WHERE d.state IN (1, 2) AND w.state = 1"));
        out.reset();
        if (rows.empty()) return absl::OkStatus();
        ASSIGN_OR_RETURN(std::optional<int64_t> oldest,
                         rows.GetOptionalInt64(0, "oldest"));
        if (oldest) out = absl::FromUnixMicros(*oldest);
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<int64_t> WebhookStore::Purge(absl::Time before) {
  int64_t purged = 0;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        const int64_t before_us = absl::ToUnixMicros(before);
        RETURN_IF_ERROR(
            tx.Execute("DELETE FROM webhook_attempts WHERE delivery IN "
                       "(SELECT id FROM webhook_deliveries WHERE create_us < "
                       "$1 AND state IN (3, 4))",
                       {before_us})
                .status());
        ASSIGN_OR_RETURN(purged,
                         tx.Execute("DELETE FROM webhook_deliveries WHERE "
                                    "create_us < $1 AND state IN (3, 4)",
                                    {before_us}));
        ASSIGN_OR_RETURN(int64_t orphans,
                         tx.Execute("DELETE FROM webhook_deliveries WHERE "
                                    "webhook NOT IN (SELECT id FROM "
                                    "webhooks)"));
        purged += orphans;
        return absl::OkStatus();
      }));
  return purged;
}

}  // namespace training::notification::webhooks
