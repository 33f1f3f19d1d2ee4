// The webhooks' schema and their subscriptions.

#include "services/notification/webhooks/webhook_store.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/random/unique_bytes.h"
#include "common/status_macros.h"

namespace training::notification::webhooks {
namespace {

constexpr char kColumns[] =
    "id, organisation, key_name, target_uri, event_types, description, "
    "state, disabled_reason, secret, previous_secret, "
    "previous_secret_expire_us, consecutive_failures, failing_since_us, "
    "last_success_us, request_id, request_fingerprint, create_us, update_us, "
    "etag";

int64_t Micros(absl::Time t) {
  return t == absl::InfinitePast() ? 0 : absl::ToUnixMicros(t);
}

absl::Time FromMicros(int64_t us) {
  return us == 0 ? absl::InfinitePast() : absl::FromUnixMicros(us);
}

absl::StatusOr<WebhookRecord> RecordAt(const sql::ResultSet& rows, size_t i) {
  WebhookRecord r;
  ASSIGN_OR_RETURN(r.id, rows.GetString(i, "id"));
  ASSIGN_OR_RETURN(r.organisation, rows.GetString(i, "organisation"));
  ASSIGN_OR_RETURN(r.key_name, rows.GetString(i, "key_name"));
  ASSIGN_OR_RETURN(r.target_uri, rows.GetString(i, "target_uri"));
  ASSIGN_OR_RETURN(std::string types, rows.GetString(i, "event_types"));
  r.event_types = absl::StrSplit(types, ',', absl::SkipEmpty());
  ASSIGN_OR_RETURN(r.description, rows.GetString(i, "description"));
  ASSIGN_OR_RETURN(int64_t state, rows.GetInt64(i, "state"));
  r.state = static_cast<v1::Webhook::State>(state);
  ASSIGN_OR_RETURN(r.disabled_reason, rows.GetString(i, "disabled_reason"));
  ASSIGN_OR_RETURN(r.sealed_secret, rows.GetString(i, "secret"));
  ASSIGN_OR_RETURN(r.sealed_previous_secret,
                   rows.GetString(i, "previous_secret"));
  ASSIGN_OR_RETURN(int64_t expire,
                   rows.GetInt64(i, "previous_secret_expire_us"));
  r.previous_secret_expire = FromMicros(expire);
  ASSIGN_OR_RETURN(int64_t failures, rows.GetInt64(i, "consecutive_failures"));
  r.consecutive_failures = static_cast<int>(failures);
  ASSIGN_OR_RETURN(int64_t since, rows.GetInt64(i, "failing_since_us"));
  r.failing_since = FromMicros(since);
  ASSIGN_OR_RETURN(int64_t success, rows.GetInt64(i, "last_success_us"));
  r.last_success = FromMicros(success);
  ASSIGN_OR_RETURN(r.request_id, rows.GetString(i, "request_id"));
  ASSIGN_OR_RETURN(r.request_fingerprint,
                   rows.GetString(i, "request_fingerprint"));
  ASSIGN_OR_RETURN(int64_t create_us, rows.GetInt64(i, "create_us"));
  r.create_time = absl::FromUnixMicros(create_us);
  ASSIGN_OR_RETURN(int64_t update_us, rows.GetInt64(i, "update_us"));
  r.update_time = absl::FromUnixMicros(update_us);
  ASSIGN_OR_RETURN(r.etag, rows.GetString(i, "etag"));
  return r;
}

absl::StatusOr<std::vector<WebhookRecord>> Records(const sql::ResultSet& rows) {
  std::vector<WebhookRecord> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(WebhookRecord r, RecordAt(rows, i));
    out.push_back(std::move(r));
  }
  return out;
}

std::string HexId(int bytes) {
  return absl::BytesToHexString(random::UniqueBytes(bytes));
}

}  // namespace

std::vector<sql::Migration> WebhookMigrations() {
  return {
      {1, "webhook subscriptions, deliveries and attempts",
       sql::PortableDdl(R"sql(
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  organisation TEXT NOT NULL,
  key_name TEXT NOT NULL,
  target_uri TEXT NOT NULL,
  event_types TEXT NOT NULL,
  description TEXT NOT NULL,
  state INTEGER NOT NULL,
  disabled_reason TEXT NOT NULL,
  secret TEXT NOT NULL,
  previous_secret TEXT NOT NULL,
  previous_secret_expire_us BIGINT NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  failing_since_us BIGINT NOT NULL,
  last_success_us BIGINT NOT NULL,
  request_id TEXT NOT NULL,
  request_fingerprint TEXT NOT NULL,
  create_us BIGINT NOT NULL,
  update_us BIGINT NOT NULL,
  etag TEXT NOT NULL
);
CREATE UNIQUE INDEX webhooks_once ON webhooks (organisation, request_id)
  WHERE request_id <> '';
CREATE INDEX webhooks_by_owner ON webhooks (organisation, create_us, id);
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  webhook TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  event_us BIGINT NOT NULL,
  payload TEXT NOT NULL,
  state INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  replay_base INTEGER NOT NULL DEFAULT 0,
  next_attempt_us BIGINT NOT NULL,
  lease_owner TEXT NOT NULL,
  last_status INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  succeed_us BIGINT NOT NULL,
  create_us BIGINT NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_once
  ON webhook_deliveries (webhook, event_id);
CREATE INDEX webhook_deliveries_waiting
  ON webhook_deliveries (next_attempt_us) WHERE state IN (1, 2);
CREATE INDEX webhook_deliveries_by_time
  ON webhook_deliveries (webhook, create_us, id);
CREATE TABLE webhook_attempts (
  delivery TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  attempt_us BIGINT NOT NULL,
  http_status INTEGER NOT NULL,
  latency_us BIGINT NOT NULL,
  error TEXT NOT NULL,
  PRIMARY KEY (delivery, attempt)
);
)sql")},
  };
}

std::string NewWebhookId() { return HexId(10); }
std::string NewDeliveryId() { return absl::StrCat("msg_", HexId(10)); }

absl::StatusOr<std::unique_ptr<WebhookStore>> WebhookStore::Open(
    sql::Database* db) {
  RETURN_IF_ERROR(sql::ApplyMigrations(*db, "webhooks", WebhookMigrations()));
  return std::unique_ptr<WebhookStore>(new WebhookStore(db));
}

absl::StatusOr<WebhookRecord> WebhookStore::CreateWebhook(
    const WebhookRecord& r) {
  absl::StatusOr<WebhookRecord> created = CreateOnce(r);
  // Two calls with one request id at once: the second's insert meets the
  // first's row; looked up again, it is found.
  if (absl::IsAlreadyExists(created.status()) && !r.request_id.empty()) {
    created = CreateOnce(r);
  }
  return created;
}

absl::StatusOr<WebhookRecord> WebhookStore::CreateOnce(const WebhookRecord& r) {
  WebhookRecord out;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        if (!r.request_id.empty()) {
          ASSIGN_OR_RETURN(
              sql::ResultSet rows,
              tx.Query(absl::StrCat("SELECT ", kColumns,
                                    " FROM webhooks WHERE organisation = $1 "
                                    "AND request_id = $2"),
                       {r.organisation, r.request_id}));
          if (!rows.empty()) {
            ASSIGN_OR_RETURN(out, RecordAt(rows, 0));
            return absl::OkStatus();
          }
        }
        RETURN_IF_ERROR(
            tx.Execute(
                  absl::StrCat("INSERT INTO webhooks (", kColumns,
                               ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                               "$10, $11, $12, $13, $14, $15, $16, $17, $18, "
                               "$19)"),
                  {r.id, r.organisation, r.key_name, r.target_uri,
                   absl::StrJoin(r.event_types, ","), r.description,
                   static_cast<int64_t>(r.state), r.disabled_reason,
                   r.sealed_secret, r.sealed_previous_secret,
                   Micros(r.previous_secret_expire),
                   static_cast<int64_t>(r.consecutive_failures),
                   Micros(r.failing_since), Micros(r.last_success),
                   r.request_id, r.request_fingerprint,
                   absl::ToUnixMicros(r.create_time),
                   absl::ToUnixMicros(r.update_time), r.etag})
                .status());
        out = r;
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::optional<WebhookRecord>> WebhookStore::GetWebhook(
    const std::string& id) {
  std::optional<WebhookRecord> out;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(sql::ResultSet rows,
                         tx.Query(absl::StrCat("SELECT ", kColumns,
                                               " FROM webhooks WHERE id = $1"),
                                  {id}));
        out.reset();
        if (rows.empty()) return absl::OkStatus();
        ASSIGN_OR_RETURN(out, RecordAt(rows, 0));
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::vector<WebhookRecord>> WebhookStore::ListWebhooks(
    bool all, const std::string& organisation,
    std::optional<std::pair<int64_t, std::string>> after, int limit) {
  std::vector<WebhookRecord> out;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        const int64_t after_us = after ? after->first : -1;
        const std::string after_id = after ? after->second : "";
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query(absl::StrCat(
                         "SELECT ", kColumns,
                         " FROM webhooks WHERE ($1 = 1 OR organisation = $2) "
                         "AND (create_us > $3 OR (create_us = $3 AND id > $4)) "
                         "ORDER BY create_us, id LIMIT $5"),
                     {int64_t{all ? 1 : 0}, organisation, after_us, after_id,
                      int64_t{limit}}));
        ASSIGN_OR_RETURN(out, Records(rows));
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<bool> WebhookStore::UpdateWebhook(
    const WebhookRecord& r, const std::string& expected_etag,
    bool reset_failures, absl::Time now) {
  bool changed = false;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            int64_t n,
            tx.Execute(
                "UPDATE webhooks SET target_uri = $3, event_types = $4, "
                "description = $5, state = $6, disabled_reason = $7, "
                "secret = $8, previous_secret = $9, "
                "previous_secret_expire_us = $10, consecutive_failures = "
                "CASE WHEN $11 = 1 THEN 0 ELSE consecutive_failures END, "
                "failing_since_us = CASE WHEN $11 = 1 THEN 0 ELSE "
                "failing_since_us END, update_us = $12, etag = $13 "
                "WHERE id = $1 AND etag = $2",
                {r.id, expected_etag, r.target_uri,
                 absl::StrJoin(r.event_types, ","), r.description,
                 static_cast<int64_t>(r.state), r.disabled_reason,
                 r.sealed_secret, r.sealed_previous_secret,
                 Micros(r.previous_secret_expire),
                 int64_t{reset_failures ? 1 : 0}, absl::ToUnixMicros(now),
                 r.etag}));
        changed = n == 1;
        return absl::OkStatus();
      }));
  return changed;
}

absl::StatusOr<bool> WebhookStore::DeleteWebhook(const std::string& id) {
  bool deleted = false;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(
            tx.Execute("DELETE FROM webhook_attempts WHERE delivery IN "
                       "(SELECT id FROM webhook_deliveries WHERE webhook = $1)",
                       {id})
                .status());
        RETURN_IF_ERROR(
            tx.Execute("DELETE FROM webhook_deliveries WHERE webhook = $1",
                       {id})
                .status());
        ASSIGN_OR_RETURN(
            int64_t n, tx.Execute("DELETE FROM webhooks WHERE id = $1", {id}));
        deleted = n == 1;
        return absl::OkStatus();
      }));
  return deleted;
}

absl::StatusOr<std::map<int, int64_t>> WebhookStore::WebhooksByState() {
  std::map<int, int64_t> out;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query(
                "SELECT state, COUNT(*) AS n FROM webhooks GROUP BY state"));
        out.clear();
        for (size_t i = 0; i < rows.size(); ++i) {
          ASSIGN_OR_RETURN(int64_t state, rows.GetInt64(i, "state"));
          ASSIGN_OR_RETURN(out[static_cast<int>(state)], rows.GetInt64(i, "n"));
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::vector<WebhookRecord>> WebhookStore::Subscriptions(
    sql::Transaction& tx) {
  ASSIGN_OR_RETURN(sql::ResultSet rows,
                   tx.Query(absl::StrCat("SELECT ", kColumns,
                                         " FROM webhooks ORDER BY id")));
  return Records(rows);
}

absl::Status WebhookStore::AddDelivery(sql::Transaction& tx,
                                       const NewWebhookDelivery& d,
                                       absl::Time now) {
  const int64_t now_us = absl::ToUnixMicros(now);
  return tx
      .Execute(
          "INSERT INTO webhook_deliveries (id, webhook, event_id, event_type, "
          "event_us, payload, state, attempts, next_attempt_us, lease_owner, "
          "last_status, last_error, succeed_us, create_us) VALUES ($1, $2, "
          "$3, $4, $5, $6, 1, 0, $7, '', 0, '', 0, $7) "
          "ON CONFLICT (webhook, event_id) DO NOTHING",
          {NewDeliveryId(), d.webhook, d.event_id, d.event_type,
           absl::ToUnixMicros(d.event_time), d.payload, now_us})
      .status();
}

}  // namespace training::notification::webhooks
