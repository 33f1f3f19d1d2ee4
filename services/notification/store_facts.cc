// The notification store's schema and its facts: events kept in the stream
// consumer's transaction and claimed, one at a time, by a composer.

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/events/outbox.h"
#include "common/logging/log.h"
#include "common/sql/migrations.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/notification/store.h"

namespace training::notification {

std::vector<sql::Migration> NotificationMigrations() {
  return {
      {1, "facts, deliveries, templates, calendar sequences",
       sql::PortableDdl(R"sql(
CREATE TABLE facts (
  event_id TEXT PRIMARY KEY,
  booking TEXT NOT NULL,
  occur_us BIGINT NOT NULL,
  payload BYTES NOT NULL,
  cursor TEXT NOT NULL DEFAULT '',
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_us BIGINT NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX facts_in_order ON facts (occur_us, event_id);
CREATE INDEX facts_by_booking ON facts (booking, occur_us);
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  source_event_id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  booking TEXT NOT NULL,
  recipient_role INTEGER NOT NULL,
  recipient TEXT NOT NULL,
  masked_recipient TEXT NOT NULL,
  template TEXT NOT NULL,
  template_revision BIGINT NOT NULL,
  calendar_method TEXT NOT NULL,
  state INTEGER NOT NULL,
  notify_status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_us BIGINT NOT NULL,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_us BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  message BYTES NOT NULL,
  message_id TEXT NOT NULL,
  event_us BIGINT NOT NULL,
  create_us BIGINT NOT NULL,
  update_us BIGINT NOT NULL,
  send_us BIGINT
);
CREATE UNIQUE INDEX deliveries_once
  ON deliveries (source_event_id, kind, booking, recipient_role);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_us);
CREATE INDEX deliveries_by_booking ON deliveries (booking, create_us);
CREATE INDEX deliveries_by_time ON deliveries (create_us, id);
CREATE TABLE templates (
  slug TEXT PRIMARY KEY,
  kind INTEGER NOT NULL,
  active INTEGER NOT NULL,
  revision BIGINT NOT NULL,
  create_us BIGINT NOT NULL,
  update_us BIGINT NOT NULL
);
CREATE INDEX templates_by_kind ON templates (kind, active);
CREATE TABLE template_revisions (
  slug TEXT NOT NULL,
  revision BIGINT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  copy_line_manager INTEGER NOT NULL,
  create_us BIGINT NOT NULL,
  PRIMARY KEY (slug, revision)
);
CREATE TABLE calendar_sequences (
  uid TEXT PRIMARY KEY,
  sequence BIGINT NOT NULL
);
)sql")},
      {2,
       "scheduled messages, address hashes, enquiries, feedback opt-outs, "
       "suppressions",
       sql::PortableDdl(R"sql(
ALTER TABLE deliveries ADD COLUMN session TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN anchor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN offset_us BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN recipient_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN enquiry TEXT NOT NULL DEFAULT '';
DROP INDEX deliveries_once;
CREATE UNIQUE INDEX deliveries_once_per_slot
  ON deliveries (source_event_id, kind, booking, recipient_role, offset_us);
CREATE INDEX deliveries_by_session ON deliveries (session, state);
CREATE INDEX deliveries_by_recipient ON deliveries (recipient_hash, create_us);
CREATE TABLE enquiries (
  id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  email TEXT NOT NULL,
  address_hash TEXT NOT NULL,
  session TEXT NOT NULL,
  body TEXT NOT NULL,
  create_us BIGINT NOT NULL
);
CREATE INDEX enquiries_by_address ON enquiries (address_hash, create_us);
CREATE TABLE feedback_opt_outs (
  address_hash TEXT PRIMARY KEY,
  create_us BIGINT NOT NULL
);
CREATE TABLE suppressions (
  address_hash TEXT PRIMARY KEY,
  masked_recipient TEXT NOT NULL,
  reason TEXT NOT NULL,
  delivery TEXT NOT NULL,
  create_us BIGINT NOT NULL
);
CREATE INDEX suppressions_by_time ON suppressions (create_us, address_hash);
)sql")},
      {3, "one enquiry per request id; messages sent to an address by time",
       sql::PortableDdl(R"sql(
CREATE UNIQUE INDEX enquiries_once ON enquiries (request_id)
  WHERE request_id <> '';
CREATE INDEX deliveries_sent_to ON deliveries (recipient_hash, state, send_us);
)sql")},
  };
}

absl::StatusOr<std::unique_ptr<NotificationStore>> NotificationStore::Open(
    sql::Database* db, const auth::HmacKeys* address_keys) {
  RETURN_IF_ERROR(
      sql::ApplyMigrations(*db, "events", events::EventMigrations()));
  RETURN_IF_ERROR(
      sql::ApplyMigrations(*db, "notification", NotificationMigrations()));
  return std::unique_ptr<NotificationStore>(
      new NotificationStore(db, address_keys));
}

namespace {

// What a fact is about (`bookings/…`, or a session for session-wide
// facts), so that one subject's facts are composed in the order they
// happened.
std::string SubjectOf(const events::v1::Event& event) {
  return event.subject();
}

}  // namespace

absl::Status NotificationStore::AddFact(sql::Transaction& tx,
                                        const events::v1::Event& event) {
  return tx
      .Execute(
          "INSERT INTO facts (event_id, booking, occur_us, payload) VALUES "
          "($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING",
          {event.id(), SubjectOf(event),
           absl::ToUnixMicros(FromProto(event.occur_time())),
           sql::Blob{event.SerializeAsString()}})
      .status();
}

absl::StatusOr<std::optional<ClaimedFact>> NotificationStore::ClaimFact(
    const std::string& owner, absl::Time now, absl::Duration lease) {
  // SKIP LOCKED: on PostgreSQL, replicas claiming at once each take a
  // different fact instead of queueing behind one another's row.
  static const sql::SqlText kNext = [] {
    const std::string select =
        "SELECT f.event_id, f.payload, f.cursor, f.attempts FROM facts f "
        "WHERE f.lease_us < $1 AND NOT EXISTS (SELECT 1 FROM facts o WHERE "
        "f.booking <> '' AND o.booking = f.booking AND (o.occur_us < "
        "f.occur_us OR (o.occur_us = f.occur_us AND o.event_id < "
        "f.event_id))) ORDER BY f.occur_us, f.event_id LIMIT 1";
    return sql::SqlText{select, select + " FOR UPDATE OF f SKIP LOCKED"};
  }();
  std::optional<ClaimedFact> claimed;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        claimed.reset();
        const int64_t now_us = absl::ToUnixMicros(now);
        ASSIGN_OR_RETURN(sql::ResultSet rows,
                         tx.Query(kNext.For(tx.engine()), {now_us}));
        if (rows.empty()) return absl::OkStatus();
        ClaimedFact fact;
        ASSIGN_OR_RETURN(fact.event_id, rows.GetString(0, "event_id"));
        ASSIGN_OR_RETURN(sql::Blob payload, rows.GetBlob(0, "payload"));
        ASSIGN_OR_RETURN(fact.cursor, rows.GetString(0, "cursor"));
        ASSIGN_OR_RETURN(int64_t attempts, rows.GetInt64(0, "attempts"));
        fact.attempts = static_cast<int>(attempts);
        if (!fact.event.ParseFromString(payload.bytes)) {
          // It could never be composed, and would hold back its subject's
          // later facts: set aside (the consumer checked it parses, so this
          // is damage, not a normal case).
          log::Error("notification.fact_unreadable",
                     {{"event", log::Id(fact.event_id)}});
          return FinishFact(tx, fact.event_id);
        }
        ASSIGN_OR_RETURN(
            int64_t taken,
            tx.Execute("UPDATE facts SET lease_owner = $2, lease_us = $3 "
                       "WHERE event_id = $1 AND lease_us < $4",
                       {fact.event_id, owner, absl::ToUnixMicros(now + lease),
                        now_us}));
        if (taken == 1) claimed = std::move(fact);
        return absl::OkStatus();
      }));
  return claimed;
}

absl::Status NotificationStore::FinishFact(sql::Transaction& tx,
                                           const std::string& event_id) {
  return tx.Execute("DELETE FROM facts WHERE event_id = $1", {event_id})
      .status();
}

absl::Status NotificationStore::SaveFactCursor(sql::Transaction& tx,
                                               const std::string& event_id,
                                               const std::string& cursor) {
  return tx
      .Execute("UPDATE facts SET cursor = $2 WHERE event_id = $1",
               {event_id, cursor})
      .status();
}

absl::Status NotificationStore::PostponeFact(const std::string& event_id,
                                             absl::Time retry_at) {
  return sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) {
        return tx
            .Execute(
                "UPDATE facts SET lease_us = $2, attempts = attempts + "
                "1, lease_owner = '' WHERE event_id = $1",
                {event_id, absl::ToUnixMicros(retry_at)})
            .status();
      });
}

absl::StatusOr<int64_t> NotificationStore::PendingFacts() {
  int64_t n = 0;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(sql::ResultSet rows,
                         tx.Query("SELECT COUNT(*) AS n FROM facts"));
        ASSIGN_OR_RETURN(n, rows.GetInt64(0, "n"));
        return absl::OkStatus();
      }));
  return n;
}

}  // namespace training::notification
