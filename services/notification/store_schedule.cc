// The notification store's scheduled messages: rows of `deliveries` in
// state SCHEDULED, due at `next_attempt_us`, with no recipient or text until
// they are checked and rendered when due (schedule_rules.h). A due one is
// claimed with a lease (`lease_owner`, `lease_us`), so that two replicas
// never render it twice, and a replica that died holding it is replaced
// when the lease runs out.

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/notification/delivery_rules.h"
#include "services/notification/store.h"

namespace training::notification {
namespace {

constexpr int64_t kScheduled = v1::Delivery::SCHEDULED;
constexpr int64_t kCancelled = v1::Delivery::CANCELLED;

}  // namespace

absl::StatusOr<bool> NotificationStore::AddScheduled(sql::Transaction& tx,
                                                     const NewDelivery& d,
                                                     absl::Time due,
                                                     bool once_per_booking,
                                                     absl::Time now) {
  const int64_t now_us = absl::ToUnixMicros(now);
  sql::Params params = {d.message_id.substr(0, d.message_id.find('@')),
                        d.source_event_id,
                        int64_t{d.kind},
                        d.booking,
                        int64_t{d.role},
                        kScheduled,
                        NotifyStatusName(NotifyStatus::kCreated),
                        absl::ToUnixMicros(due),
                        sql::Blob{""},
                        d.message_id,
                        absl::ToUnixMicros(d.event_time),
                        now_us,
                        d.session,
                        int64_t{d.anchor},
                        absl::ToInt64Microseconds(d.offset)};
  // Attendance recorded again (a correction) must not ask twice.
  const std::string unless_there =
      once_per_booking
          ? " WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE booking = $4 "
            "AND kind = $3 AND state <> 6)"
          : " WHERE 1 = 1";  // SQLite parses an upsert's SELECT with one
  ASSIGN_OR_RETURN(
      int64_t added,
      tx.Execute(
          absl::StrCat(
              "INSERT INTO deliveries (id, source_event_id, kind, booking, "
              "recipient_role, recipient, masked_recipient, template, "
              "template_revision, calendar_method, state, notify_status, "
              "next_attempt_us, last_error, message, message_id, event_us, "
              "create_us, update_us, session, anchor, offset_us) SELECT $1, "
              "$2, $3, $4, $5, '', '', '', 0, '', $6, $7, $8, '', $9, $10, "
              "$11, $12, $12, $13, $14, $15",
              unless_there,
              " ON CONFLICT (source_event_id, kind, booking, recipient_role, "
              "offset_us) DO NOTHING"),
          params));
  return added == 1;
}

absl::Status NotificationStore::MoveScheduled(sql::Transaction& tx,
                                              const std::string& session,
                                              absl::Time start, absl::Time end,
                                              absl::Time now) {
  const int64_t now_us = absl::ToUnixMicros(now);
  RETURN_IF_ERROR(
      tx.Execute("UPDATE deliveries SET next_attempt_us = (CASE WHEN anchor "
                 "= 1 THEN CAST($2 AS BIGINT) ELSE CAST($3 AS BIGINT) END) + "
                 "offset_us, update_us = $4 WHERE "
                 "session = $1 AND state = 1 AND anchor IN (1, 2)",
                 {session, absl::ToUnixMicros(start), absl::ToUnixMicros(end),
                  now_us})
          .status());
  return tx
      .Execute(
          "UPDATE deliveries SET state = 6, notify_status = 'cancelled', "
          "last_error = 'the session moved and this reminder''s time had "
          "passed', lease_owner = '', update_us = $3 WHERE session = $1 AND "
          "state = 1 AND kind = $2 AND next_attempt_us <= $3 AND lease_us < "
          "$3",
          {session, int64_t{v1::REMINDER}, now_us})
      .status();
}

absl::Status NotificationStore::CancelScheduled(sql::Transaction& tx,
                                                absl::string_view column,
                                                const std::string& value,
                                                const std::string& reason,
                                                absl::Time now) {
  const char* where = column == "session" ? "session" : "booking";
  return tx
      .Execute(
          absl::StrCat("UPDATE deliveries SET state = 6, notify_status "
                       "= 'cancelled', last_error = $2, lease_owner = "
                       "'', update_us = $3, message = $4 WHERE ",
                       where, " = $1 AND anchor <> 0 AND state IN (1, 2, 4)"),
          {value, reason, absl::ToUnixMicros(now), sql::Blob{""}})
      .status();
}

absl::StatusOr<std::optional<DueMessage>> NotificationStore::ClaimDue(
    const std::string& owner, absl::Time now, absl::Duration lease) {
  static const sql::SqlText kNext = [] {
    const std::string select =
        "SELECT id, source_event_id, kind, booking, session, anchor, "
        "offset_us, message_id, event_us FROM deliveries WHERE state = 1 AND "
        "next_attempt_us <= $1 AND lease_us < $1 ORDER BY next_attempt_us "
        "LIMIT 1";
    return sql::SqlText{select, select + " FOR UPDATE SKIP LOCKED"};
  }();
  std::optional<DueMessage> claimed;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        claimed.reset();
        const int64_t now_us = absl::ToUnixMicros(now);
        ASSIGN_OR_RETURN(sql::ResultSet rows,
                         tx.Query(kNext.For(tx.engine()), {now_us}));
        if (rows.empty()) return absl::OkStatus();
        DueMessage d;
        ASSIGN_OR_RETURN(d.id, rows.GetString(0, "id"));
        ASSIGN_OR_RETURN(d.source_event_id,
                         rows.GetString(0, "source_event_id"));
        ASSIGN_OR_RETURN(int64_t kind, rows.GetInt64(0, "kind"));
        d.kind = static_cast<v1::MessageKind>(kind);
        ASSIGN_OR_RETURN(d.booking, rows.GetString(0, "booking"));
        ASSIGN_OR_RETURN(d.session, rows.GetString(0, "session"));
        ASSIGN_OR_RETURN(int64_t anchor, rows.GetInt64(0, "anchor"));
        d.anchor = static_cast<int>(anchor);
        ASSIGN_OR_RETURN(int64_t offset_us, rows.GetInt64(0, "offset_us"));
        d.offset = absl::Microseconds(offset_us);
        ASSIGN_OR_RETURN(d.message_id, rows.GetString(0, "message_id"));
        ASSIGN_OR_RETURN(int64_t event_us, rows.GetInt64(0, "event_us"));
        d.event_time = absl::FromUnixMicros(event_us);
        ASSIGN_OR_RETURN(
            int64_t taken,
            tx.Execute("UPDATE deliveries SET lease_owner = $2, lease_us = $3 "
                       "WHERE id = $1 AND state = 1 AND lease_us < $4",
                       {d.id, owner, absl::ToUnixMicros(now + lease), now_us}));
        if (taken == 1) claimed = std::move(d);
        return absl::OkStatus();
      }));
  return claimed;
}

absl::StatusOr<bool> NotificationStore::QueueDue(sql::Transaction& tx,
                                                 const DueMessage& due,
                                                 const std::string& owner,
                                                 const NewDelivery& r,
                                                 absl::Time now) {
  const bool failed = !r.failure.empty();
  const int64_t now_us = absl::ToUnixMicros(now);
  ASSIGN_OR_RETURN(
      int64_t changed,
      tx.Execute(
          "UPDATE deliveries SET recipient = $3, masked_recipient = $4, "
          "recipient_hash = $5, template = $6, template_revision = $7, "
          "state = $8, notify_status = $9, last_error = $10, message = $11, "
          "next_attempt_us = $12, update_us = $12, lease_owner = '', "
          "lease_us = 0 WHERE id = $1 AND state = 1 AND lease_owner = $2",
          {due.id, owner, failed ? "" : r.recipient, MaskRecipient(r.recipient),
           AddressHash(r.recipient), r.template_name, r.template_revision,
           int64_t{failed ? v1::Delivery::FAILED : v1::Delivery::QUEUED},
           NotifyStatusName(failed ? NotifyStatus::kTechnicalFailure
                                   : NotifyStatus::kCreated),
           r.failure, sql::Blob{failed ? "" : r.message}, now_us}));
  return changed == 1;
}

absl::StatusOr<bool> NotificationStore::CancelDue(const DueMessage& due,
                                                  const std::string& owner,
                                                  const std::string& reason,
                                                  absl::Time now) {
  return ChangeOne(
      "UPDATE deliveries SET state = $3, notify_status = 'cancelled', "
      "last_error = $4, update_us = $5, lease_owner = '', lease_us = 0 WHERE "
      "id = $1 AND state = 1 AND lease_owner = $2",
      {due.id, owner, kCancelled, reason, absl::ToUnixMicros(now)});
}

absl::StatusOr<bool> NotificationStore::PostponeDue(const DueMessage& due,
                                                    const std::string& owner,
                                                    absl::Time until,
                                                    absl::Time now) {
  return ChangeOne(
      "UPDATE deliveries SET next_attempt_us = $3, update_us = $4, "
      "lease_owner = '', lease_us = 0 WHERE id = $1 AND state = 1 AND "
      "lease_owner = $2",
      {due.id, owner, absl::ToUnixMicros(until), absl::ToUnixMicros(now)});
}

}  // namespace training::notification
