// The notification store's deliveries: stored once per message, claimed
// by a sender with a lease, their outcome recorded only by the lease's
// holder; the delivery log's reads; calendar sequences.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/random/unique_bytes.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/notification/delivery_rules.h"
#include "services/notification/store.h"

namespace training::notification {
namespace {

constexpr char kDeliveryColumns[] =
    "id, source_event_id, kind, booking, recipient_role, masked_recipient, "
    "template, template_revision, calendar_method, state, notify_status, "
    "attempts, next_attempt_us, last_error, message_id, create_us, "
    "update_us, send_us, enquiry";

absl::StatusOr<v1::Delivery> DecodeDelivery(const sql::ResultSet& rows,
                                            size_t i) {
  v1::Delivery d;
  ASSIGN_OR_RETURN(std::string id, rows.GetString(i, "id"));
  d.set_name(absl::StrCat("deliveries/", id));
  ASSIGN_OR_RETURN(*d.mutable_source_event_id(),
                   rows.GetString(i, "source_event_id"));
  ASSIGN_OR_RETURN(int64_t kind, rows.GetInt64(i, "kind"));
  d.set_kind(static_cast<v1::MessageKind>(kind));
  ASSIGN_OR_RETURN(*d.mutable_booking(), rows.GetString(i, "booking"));
  ASSIGN_OR_RETURN(int64_t role, rows.GetInt64(i, "recipient_role"));
  d.set_recipient_role(static_cast<v1::Delivery::RecipientRole>(role));
  ASSIGN_OR_RETURN(*d.mutable_masked_recipient(),
                   rows.GetString(i, "masked_recipient"));
  ASSIGN_OR_RETURN(*d.mutable_template_(), rows.GetString(i, "template"));
  ASSIGN_OR_RETURN(int64_t revision, rows.GetInt64(i, "template_revision"));
  d.set_template_revision(revision);
  ASSIGN_OR_RETURN(*d.mutable_calendar_method(),
                   rows.GetString(i, "calendar_method"));
  ASSIGN_OR_RETURN(int64_t state, rows.GetInt64(i, "state"));
  d.set_state(static_cast<v1::Delivery::State>(state));
  ASSIGN_OR_RETURN(*d.mutable_notify_status(),
                   rows.GetString(i, "notify_status"));
  ASSIGN_OR_RETURN(int64_t attempts, rows.GetInt64(i, "attempts"));
  d.set_attempts(static_cast<int32_t>(attempts));
  ASSIGN_OR_RETURN(int64_t next_us, rows.GetInt64(i, "next_attempt_us"));
  if (state == v1::Delivery::RETRYING) {
    *d.mutable_next_attempt_time() = ToProto(absl::FromUnixMicros(next_us));
  }
  ASSIGN_OR_RETURN(*d.mutable_last_error(), rows.GetString(i, "last_error"));
  ASSIGN_OR_RETURN(*d.mutable_message_id(), rows.GetString(i, "message_id"));
  ASSIGN_OR_RETURN(int64_t create_us, rows.GetInt64(i, "create_us"));
  *d.mutable_create_time() = ToProto(absl::FromUnixMicros(create_us));
  // A scheduled message is due at next_attempt_us until it is rendered.
  *d.mutable_scheduled_send_time() =
      state == v1::Delivery::SCHEDULED ? ToProto(absl::FromUnixMicros(next_us))
                                       : d.create_time();
  ASSIGN_OR_RETURN(int64_t update_us, rows.GetInt64(i, "update_us"));
  *d.mutable_update_time() = ToProto(absl::FromUnixMicros(update_us));
  ASSIGN_OR_RETURN(std::optional<int64_t> send_us,
                   rows.GetOptionalInt64(i, "send_us"));
  if (send_us) *d.mutable_send_time() = ToProto(absl::FromUnixMicros(*send_us));
  ASSIGN_OR_RETURN(*d.mutable_enquiry(), rows.GetString(i, "enquiry"));
  return d;
}

// The WHERE clause of a filter (always starting "WHERE 1 = 1").
std::string WhereOf(const DeliveryFilter& f, sql::Params& params) {
  std::string sql = " WHERE 1 = 1";
  if (!f.booking.empty()) {
    absl::StrAppend(&sql, " AND booking = ", sql::AddParam(params, f.booking));
  }
  auto in = [&](const char* column, const auto& values) {
    if (values.empty()) return;
    std::vector<std::string> marks;
    for (const auto& v : values) {
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, int>) {
        marks.push_back(sql::AddParam(params, int64_t{v}));
      } else {
        marks.push_back(sql::AddParam(params, v));
      }
    }
    absl::StrAppend(&sql, " AND ", column, " IN (", absl::StrJoin(marks, ", "),
                    ")");
  };
  in("state", f.states);
  in("recipient_hash", f.recipient_hashes);
  in("notify_status", f.notify_statuses);
  in("kind", f.kinds);
  if (f.start) {
    absl::StrAppend(&sql, " AND create_us >= ",
                    sql::AddParam(params, absl::ToUnixMicros(*f.start)));
  }
  if (f.end) {
    absl::StrAppend(&sql, " AND create_us < ",
                    sql::AddParam(params, absl::ToUnixMicros(*f.end)));
  }
  return sql;
}

}  // namespace

absl::StatusOr<bool> NotificationStore::ChangeOne(const std::string& sql,
                                                  const sql::Params& params) {
  bool changed = false;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t n, tx.Execute(sql, params));
        changed = n == 1;
        return absl::OkStatus();
      }));
  return changed;
}

absl::StatusOr<int64_t> NotificationStore::NextCalendarSequence(
    sql::Transaction& tx, const std::string& uid) {
  ASSIGN_OR_RETURN(
      sql::ResultSet rows,
      tx.Query("INSERT INTO calendar_sequences (uid, sequence) VALUES ($1, "
               "0) ON CONFLICT (uid) DO UPDATE SET sequence = "
               "calendar_sequences.sequence + 1 RETURNING sequence",
               {uid}));
  return rows.GetInt64(0, "sequence");
}

absl::StatusOr<int64_t> NotificationStore::CurrentCalendarSequence(
    const std::string& uid) {
  int64_t sequence = 0;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query("SELECT sequence FROM calendar_sequences WHERE uid = $1",
                     {uid}));
        if (!rows.empty()) {
          ASSIGN_OR_RETURN(sequence, rows.GetInt64(0, "sequence"));
        }
        return absl::OkStatus();
      }));
  return sequence;
}

absl::StatusOr<bool> NotificationStore::AddDelivery(sql::Transaction& tx,
                                                    const NewDelivery& d,
                                                    absl::Time now) {
  const bool failed = !d.failure.empty();
  const int64_t now_us = absl::ToUnixMicros(now);
  ASSIGN_OR_RETURN(
      int64_t added,
      tx.Execute(
          "INSERT INTO deliveries (id, source_event_id, kind, booking, "
          "recipient_role, recipient, masked_recipient, template, "
          "template_revision, calendar_method, state, notify_status, "
          "next_attempt_us, last_error, message, message_id, event_us, "
          "create_us, update_us, session, anchor, offset_us, recipient_hash, "
          "enquiry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
          "$12, $13, $14, $15, $16, $17, $18, $18, $19, $20, $21, $22, $23) "
          "ON CONFLICT (source_event_id, kind, booking, recipient_role, "
          "offset_us) DO NOTHING",
          {d.message_id.substr(0, d.message_id.find('@')),
           d.source_event_id,
           int64_t{d.kind},
           d.booking,
           int64_t{d.role},
           failed ? "" : d.recipient,
           MaskRecipient(d.recipient),
           d.template_name,
           d.template_revision,
           d.calendar_method,
           int64_t{failed ? v1::Delivery::FAILED : v1::Delivery::QUEUED},
           NotifyStatusName(failed ? NotifyStatus::kTechnicalFailure
                                   : NotifyStatus::kCreated),
           now_us,
           d.failure,
           sql::Blob{failed ? "" : d.message},
           d.message_id,
           absl::ToUnixMicros(d.event_time),
           now_us,
           d.session,
           int64_t{d.anchor},
           absl::ToInt64Microseconds(d.offset),
           AddressHash(d.recipient),
           d.enquiry}));
  return added == 1;
}

std::string NewRecordId() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : random::UniqueBytes(10)) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string NewMessageId(absl::string_view domain) {
  return absl::StrCat(NewRecordId(), "@", domain);
}

absl::StatusOr<std::optional<ClaimedDelivery>> NotificationStore::ClaimDelivery(
    const std::string& owner, absl::Time now, absl::Duration lease) {
  std::optional<ClaimedDelivery> claimed;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        claimed.reset();
        const int64_t now_us = absl::ToUnixMicros(now);
        // Due ones first, then the oldest: next_attempt_us is the time a
        // QUEUED or RETRYING one is due and a SENDING one's lease ends.
        static const sql::SqlText kNext = [] {
          const std::string select =
              "SELECT id, kind, recipient, message, attempts, event_us, "
              "recipient_role FROM deliveries WHERE state IN (2, 4, 7) AND "
              "next_attempt_us <= $1 "
              "ORDER BY next_attempt_us LIMIT 1";
          return sql::SqlText{select, select + " FOR UPDATE SKIP LOCKED"};
        }();
        ASSIGN_OR_RETURN(sql::ResultSet rows,
                         tx.Query(kNext.For(tx.engine()), {now_us}));
        if (rows.empty()) return absl::OkStatus();
        ClaimedDelivery d;
        ASSIGN_OR_RETURN(d.id, rows.GetString(0, "id"));
        ASSIGN_OR_RETURN(int64_t kind, rows.GetInt64(0, "kind"));
        d.kind = static_cast<v1::MessageKind>(kind);
        ASSIGN_OR_RETURN(d.recipient, rows.GetString(0, "recipient"));
        ASSIGN_OR_RETURN(sql::Blob message, rows.GetBlob(0, "message"));
        d.message = std::move(message.bytes);
        ASSIGN_OR_RETURN(int64_t attempts, rows.GetInt64(0, "attempts"));
        d.attempts = static_cast<int>(attempts) + 1;
        ASSIGN_OR_RETURN(int64_t event_us, rows.GetInt64(0, "event_us"));
        d.event_time = absl::FromUnixMicros(event_us);
        ASSIGN_OR_RETURN(int64_t role, rows.GetInt64(0, "recipient_role"));
        d.role = static_cast<v1::Delivery::RecipientRole>(role);
        ASSIGN_OR_RETURN(
            int64_t taken,
            tx.Execute(
                "UPDATE deliveries SET state = 7, notify_status = 'sending', "
                "attempts = attempts + 1, lease_owner = $2, next_attempt_us = "
                "$3, update_us = $4 WHERE id = $1 AND state IN (2, 4, 7) AND "
                "next_attempt_us <= $4",
                {d.id, owner, absl::ToUnixMicros(now + lease), now_us}));
        if (taken == 1) claimed = std::move(d);
        return absl::OkStatus();
      }));
  return claimed;
}

absl::StatusOr<bool> NotificationStore::MarkSent(const std::string& id,
                                                 const std::string& owner,
                                                 absl::Time now) {
  const int64_t now_us = absl::ToUnixMicros(now);
  return ChangeOne(
      "UPDATE deliveries SET state = 3, notify_status = 'delivered', "
      "last_error = '', send_us = $3, update_us = $3, lease_owner = '', "
      "message = $4 WHERE id = $1 AND state = 7 AND lease_owner = $2",
      {id, owner, now_us, sql::Blob{""}});
}

absl::StatusOr<bool> NotificationStore::MarkRetrying(const std::string& id,
                                                     const std::string& owner,
                                                     absl::Time next_attempt,
                                                     const std::string& error,
                                                     absl::Time now) {
  return ChangeOne(
      "UPDATE deliveries SET state = 4, notify_status = 'sending', "
      "next_attempt_us = $3, last_error = $4, update_us = $5, lease_owner = "
      "'' WHERE id = $1 AND state = 7 AND lease_owner = $2 AND recipient <> "
      "''",
      {id, owner, absl::ToUnixMicros(next_attempt), error,
       absl::ToUnixMicros(now)});
}

absl::StatusOr<bool> NotificationStore::MarkFailed(
    const std::string& id, const std::string& owner,
    const std::string& notify_status, const std::string& error,
    absl::Time now) {
  return ChangeOne(
      "UPDATE deliveries SET state = 5, notify_status = $3, last_error = $4, "
      "update_us = $5, lease_owner = '' WHERE id = $1 AND state = 7 AND "
      "lease_owner = $2",
      {id, owner, notify_status, error, absl::ToUnixMicros(now)});
}

absl::StatusOr<std::optional<v1::Delivery>> NotificationStore::GetDelivery(
    const std::string& id) {
  std::optional<v1::Delivery> found;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query(absl::StrCat("SELECT ", kDeliveryColumns,
                                  " FROM deliveries WHERE id = $1"),
                     {id}));
        if (rows.empty()) return absl::OkStatus();
        ASSIGN_OR_RETURN(found, DecodeDelivery(rows, 0));
        return absl::OkStatus();
      }));
  return found;
}

absl::StatusOr<std::vector<v1::Delivery>> NotificationStore::ListDeliveries(
    const DeliveryFilter& filter,
    std::optional<std::pair<int64_t, std::string>> after, int limit) {
  std::vector<v1::Delivery> out;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        out.clear();
        sql::Params params;
        std::string sql =
            absl::StrCat("SELECT ", kDeliveryColumns, " FROM deliveries",
                         WhereOf(filter, params));
        if (after) {
          const std::string us = sql::AddParam(params, after->first);
          const std::string id = sql::AddParam(params, after->second);
          absl::StrAppend(&sql, " AND (create_us < ", us,
                          " OR (create_us = ", us, " AND id < ", id, "))");
        }
        absl::StrAppend(&sql, " ORDER BY create_us DESC, id DESC LIMIT ",
                        sql::AddParam(params, int64_t{limit}));
        ASSIGN_OR_RETURN(sql::ResultSet rows, tx.Query(sql, params));
        for (size_t i = 0; i < rows.size(); ++i) {
          ASSIGN_OR_RETURN(out.emplace_back(), DecodeDelivery(rows, i));
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::map<std::string, int64_t>>
NotificationStore::CountDeliveries(const DeliveryFilter& filter) {
  std::map<std::string, int64_t> counts;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        counts.clear();
        sql::Params params;
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query(absl::StrCat("SELECT notify_status, COUNT(*) AS n FROM "
                                  "deliveries",
                                  WhereOf(filter, params),
                                  " GROUP BY notify_status"),
                     params));
        for (size_t i = 0; i < rows.size(); ++i) {
          ASSIGN_OR_RETURN(std::string status,
                           rows.GetString(i, "notify_status"));
          ASSIGN_OR_RETURN(counts[status], rows.GetInt64(i, "n"));
        }
        return absl::OkStatus();
      }));
  return counts;
}

absl::StatusOr<std::map<int, int64_t>> NotificationStore::DeliveriesByState() {
  std::map<int, int64_t> counts;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        counts.clear();
        ASSIGN_OR_RETURN(sql::ResultSet rows,
                         tx.Query("SELECT state, COUNT(*) AS n FROM "
                                  "deliveries GROUP BY state"));
        for (size_t i = 0; i < rows.size(); ++i) {
          ASSIGN_OR_RETURN(int64_t state, rows.GetInt64(i, "state"));
          ASSIGN_OR_RETURN(counts[static_cast<int>(state)],
                           rows.GetInt64(i, "n"));
        }
        return absl::OkStatus();
      }));
  return counts;
}

absl::StatusOr<v1::Delivery> NotificationStore::RetryDelivery(
    const std::string& id, absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<v1::Delivery> before, GetDelivery(id));
  if (!before) return absl::NotFoundError("name: no such delivery");
  const int64_t now_us = absl::ToUnixMicros(now);
  ASSIGN_OR_RETURN(
      bool changed,
      ChangeOne("UPDATE deliveries SET state = 2, notify_status = "
                "'created', next_attempt_us = $2, update_us = $2 WHERE id "
                "= $1 AND state = 5 AND recipient <> '' AND "
                "length(message) > 0",
                {id, now_us}));
  if (!changed) {
    return absl::FailedPreconditionError(
        "name: only a FAILED delivery with a message to send can be retried");
  }
  ASSIGN_OR_RETURN(std::optional<v1::Delivery> after, GetDelivery(id));
  return *after;
}

absl::StatusOr<v1::Delivery> NotificationStore::CancelDelivery(
    const std::string& id, absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<v1::Delivery> before, GetDelivery(id));
  if (!before) return absl::NotFoundError("name: no such delivery");
  ASSIGN_OR_RETURN(
      bool changed,
      ChangeOne("UPDATE deliveries SET state = 6, notify_status = "
                "'cancelled', update_us = $2, message = $3 WHERE id = $1 "
                "AND state IN (1, 2, 4)",
                {id, absl::ToUnixMicros(now), sql::Blob{""}}));
  if (!changed) {
    return absl::FailedPreconditionError(
        "name: only a SCHEDULED, QUEUED or RETRYING delivery can be "
        "cancelled");
  }
  ASSIGN_OR_RETURN(std::optional<v1::Delivery> after, GetDelivery(id));
  return *after;
}

absl::Status NotificationStore::ForgetBookings(
    sql::Transaction& tx, const std::vector<std::string>& bookings,
    absl::Time now) {
  for (const std::string& booking : bookings) {
    const int64_t now_us = absl::ToUnixMicros(now);
    RETURN_IF_ERROR(
        tx.Execute("UPDATE deliveries SET state = 6, notify_status = "
                   "'cancelled', update_us = $2, lease_owner = '' WHERE "
                   "booking = $1 AND state IN (1, 2, 4, 7)",
                   {booking, now_us})
            .status());
    RETURN_IF_ERROR(
        tx.Execute("UPDATE deliveries SET recipient = '', masked_recipient = "
                   "'***', recipient_hash = '', message = $2 WHERE booking = "
                   "$1",
                   {booking, sql::Blob{""}})
            .status());
  }
  return absl::OkStatus();
}

}  // namespace training::notification
