// The SQL booking store: opening it (migrations), running transactions,
// and the transaction's core: inventory, catalogue facts, bookings,
// request records and events.

#include "services/booking/store_sql.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/events/outbox.h"
#include "common/sql/dialect.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/booking/domain.h"
#include "services/booking/store_rows.h"
#include "services/booking/store_transaction.h"

namespace training::booking {
namespace sql_store {

// BookingTransaction:
absl::StatusOr<std::optional<SessionInventory>>
SqlBookingTransaction::LockInventory(const std::string& session) {
  ASSIGN_OR_RETURN(std::vector<ResultSet> results,
                   tx_.QueryAll(LockStatements(session)));
  return LockedInventory(session, results);
}

absl::StatusOr<std::optional<SessionInventory>>
SqlBookingTransaction::ReadInventory(const std::string& session) {
  ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(kInventorySelect, {session}));
  return InventoryFrom(session, rows);
}

absl::Status SqlBookingTransaction::SaveCounts(SessionInventory& inventory) {
  const sql::Statement save = SaveCountsStatement(inventory);
  ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(save.sql, save.params));
  if (rows.empty()) return absl::NotFoundError("inventory: not found");
  ++inventory.version;
  return absl::OkStatus();
}

absl::StatusOr<bool> SqlBookingTransaction::PutCourseRules(
    const CourseRules& rules) {
  ASSIGN_OR_RETURN(
      int64_t changed,
      tx_.Execute(
          "INSERT INTO courses (course, published, eligible, "
          "late_window_us, source_us, offer_mode, hold_us, min_hold_us) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
          "ON CONFLICT (course) DO UPDATE SET published = "
          "excluded.published, eligible = excluded.eligible, "
          "late_window_us = excluded.late_window_us, source_us = "
          "excluded.source_us, offer_mode = excluded.offer_mode, hold_us = "
          "excluded.hold_us, min_hold_us = excluded.min_hold_us "
          "WHERE courses.source_us <= excluded.source_us",
          {rules.course, int64_t{rules.published ? 1 : 0},
           EncodeEligible(rules.eligible_agency_types),
           absl::ToInt64Microseconds(rules.late_cancellation_window),
           absl::ToUnixMicros(rules.source_time),
           int64_t{rules.offer_policy.offer ? 1 : 0},
           absl::ToInt64Microseconds(rules.offer_policy.hold),
           absl::ToInt64Microseconds(rules.offer_policy.minimum_hold)}));
  return changed > 0;
}

absl::StatusOr<bool> SqlBookingTransaction::PutSessionFacts(
    const SessionFacts& f) {
  // Every release is due once (a past one just promotes at the next scan).
  const std::optional<absl::Time> release =
      NextRelease(f.holds, absl::InfinitePast());
  ASSIGN_OR_RETURN(
      int64_t changed,
      tx_.Execute(
          "INSERT INTO inventory (session, course, scheduled, capacity, "
          "confirmed, waiting, open_us, close_us, start_us, end_us, "
          "source_us, version, delivery_mode, holds, release_due_us) "
          "VALUES ($1, $2, $3, $4, 0, 0, $5, $6, $7, $8, $9, 1, $10, $11, "
          "$12) ON CONFLICT (session) DO UPDATE SET scheduled = "
          "excluded.scheduled, capacity = excluded.capacity, open_us = "
          "excluded.open_us, close_us = excluded.close_us, start_us = "
          "excluded.start_us, end_us = excluded.end_us, source_us = "
          "excluded.source_us, delivery_mode = excluded.delivery_mode, "
          "holds = excluded.holds, release_due_us = excluded.release_due_us, "
          "version = inventory.version + 1 "
          "WHERE inventory.source_us <= excluded.source_us",
          {f.session, f.course, int64_t{f.scheduled ? 1 : 0},
           int64_t{f.capacity}, absl::ToUnixMicros(f.booking_open),
           absl::ToUnixMicros(f.booking_close), absl::ToUnixMicros(f.start),
           absl::ToUnixMicros(f.end), absl::ToUnixMicros(f.source_time),
           Number(f.delivery_mode), EncodeHolds(f.holds),
           release ? Value(absl::ToUnixMicros(*release)) : sql::Null()}));
  return changed > 0;
}

absl::StatusOr<std::optional<CourseRules>>
SqlBookingTransaction::FindCourseRules(const std::string& course) {
  ASSIGN_OR_RETURN(
      ResultSet rows,
      tx_.Query("SELECT published, eligible, late_window_us, offer_mode, "
                "hold_us, min_hold_us, source_us FROM courses WHERE "
                "course = $1",
                {course}));
  if (rows.empty()) return std::nullopt;
  CourseRules rules;
  rules.course = course;
  ASSIGN_OR_RETURN(int64_t published, rows.GetInt64(0, "published"));
  rules.published = published != 0;
  ASSIGN_OR_RETURN(std::string eligible, rows.GetString(0, "eligible"));
  rules.eligible_agency_types = SplitTypes(eligible, '|');
  ASSIGN_OR_RETURN(int64_t late_us, rows.GetInt64(0, "late_window_us"));
  rules.late_cancellation_window = absl::Microseconds(late_us);
  ASSIGN_OR_RETURN(int64_t offer_mode, rows.GetInt64(0, "offer_mode"));
  rules.offer_policy.offer = offer_mode != 0;
  ASSIGN_OR_RETURN(int64_t hold_us, rows.GetInt64(0, "hold_us"));
  rules.offer_policy.hold = absl::Microseconds(hold_us);
  ASSIGN_OR_RETURN(int64_t min_hold_us, rows.GetInt64(0, "min_hold_us"));
  rules.offer_policy.minimum_hold = absl::Microseconds(min_hold_us);
  ASSIGN_OR_RETURN(int64_t source_us, rows.GetInt64(0, "source_us"));
  rules.source_time = absl::FromUnixMicros(source_us);
  return rules;
}

absl::Status SqlBookingTransaction::ArchiveCourse(const std::string& course,
                                                  absl::Time source_time) {
  return tx_
      .Execute(
          "UPDATE courses SET published = 0, source_us = $2 WHERE "
          "course = $1 AND source_us <= $2",
          {course, absl::ToUnixMicros(source_time)})
      .status();
}

absl::Status SqlBookingTransaction::CancelSession(const std::string& session) {
  return tx_
      .Execute("UPDATE inventory SET scheduled = 0 WHERE session = $1",
               {session})
      .status();
}

absl::StatusOr<std::optional<StoredBooking>> SqlBookingTransaction::FindBooking(
    const std::string& reference) {
  ASSIGN_OR_RETURN(
      ResultSet rows,
      tx_.Query(absl::StrCat("SELECT ", kBookingColumns,
                             " FROM bookings WHERE reference = $1"),
                {reference}));
  if (rows.empty()) return std::nullopt;
  return DecodeBooking(rows, 0);
}

absl::Status SqlBookingTransaction::InsertBookings(
    std::vector<StoredBooking>& bookings) {
  if (bookings.empty()) return absl::OkStatus();
  std::vector<Params> rows;
  rows.reserve(bookings.size());
  for (const StoredBooking& stored : bookings) {
    const v1::Booking& b = stored.booking;
    Params row = MutableColumns(stored);
    const Value set_once[] = {b.course(),
                              int64_t{b.scope()},
                              int64_t{b.delivery_preference()},
                              b.booked_by_organisation(),
                              stored.token_kid,
                              OptionalTime(b.create_time()),
                              int64_t{1}};  // version
    row.insert(row.end(), std::begin(set_once), std::end(set_once));
    rows.push_back(std::move(row));
  }
  ASSIGN_OR_RETURN(
      std::vector<int64_t> seqs,
      tx_.InsertNumbered("bookings", kInsertColumns, std::move(rows), "seq",
                         "bookings_seq_seq"));
  for (size_t i = 0; i < bookings.size(); ++i) {
    bookings[i].seq = seqs[i];
    bookings[i].booking.set_etag("1");
  }
  return absl::OkStatus();
}

absl::Status SqlBookingTransaction::UpdateBooking(const StoredBooking& stored) {
  ASSIGN_OR_RETURN(
      int64_t changed,
      tx_.Execute(
          "UPDATE bookings SET session = $2, state = $3, display_name = $4, "
          "email = $5, email_key = $6, phone = $7, organisation = $8, "
          "agency_type = $9, job_role = $10, line_manager_email = $11, "
          "access_needs = $12, confirm_us = $13, update_us = $14, "
          "cancel_us = $15, cancel_cause = $16, cancel_reason = $17, "
          "cancel_late = $18, attendance = $19, offer_us = $20, "
          "expire_us = $21, lease_us = NULL, version = version + 1 "
          "WHERE reference = $1",
          MutableColumns(stored)));
  if (changed == 0) return absl::NotFoundError("booking: not found");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StoredBooking>> SqlBookingTransaction::ListBookings(
    const std::string& session, const std::string& organisation,
    const std::vector<int>& states, int64_t before_seq, int limit) {
  Params params;
  std::string sql =
      absl::StrCat("SELECT ", kBookingColumns, " FROM bookings WHERE 1 = 1");
  if (!session.empty()) {
    absl::StrAppend(&sql, " AND session = ", sql::AddParam(params, session));
  }
  if (!organisation.empty()) {
    // The literal lets both engines use the partial bookings_by_agency.
    absl::StrAppend(
        &sql, " AND booked_by_org = ", sql::AddParam(params, organisation),
        " AND booked_by_org <> ''");
  }
  absl::StrAppend(&sql, StatesIn(params, states));
  if (before_seq > 0)
    absl::StrAppend(&sql, " AND seq < ", sql::AddParam(params, before_seq));
  absl::StrAppend(&sql, " ORDER BY seq DESC LIMIT ",
                  sql::AddParam(params, int64_t{limit}));
  return Bookings(sql, params);
}

absl::StatusOr<std::map<std::string, StoredBooking>>
SqlBookingTransaction::FindBookings(
    const std::vector<std::string>& references) {
  std::map<std::string, StoredBooking> found;
  if (references.empty()) return found;
  Params params;
  std::vector<std::string> placeholders;
  for (const std::string& reference : references)
    placeholders.push_back(sql::AddParam(params, reference));
  ASSIGN_OR_RETURN(
      std::vector<StoredBooking> rows,
      Bookings(absl::StrCat("SELECT ", kBookingColumns,
                            " FROM bookings WHERE reference IN (",
                            absl::StrJoin(placeholders, ", "), ")"),
               params));
  for (StoredBooking& stored : rows) {
    std::string reference = stored.booking.reference();
    found.emplace(std::move(reference), std::move(stored));
  }
  return found;
}

// Both look requests up by id alone and leave expired ones out here: with
// `AND create_us > $2` in the SQL, PostgreSQL's generic plan may walk the
// age index over every recent request and test each against the ids
// (seen at 2 ms per batch of 200), instead of probing the key.
absl::StatusOr<std::optional<RequestRecord>> SqlBookingTransaction::FindRequest(
    const std::string& request_id, absl::Time now) {
  const sql::Statement find = FindRequestsStatement(tx_.engine(), {request_id});
  ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(find.sql, find.params));
  ASSIGN_OR_RETURN(auto found, DecodeRequests(rows, now));
  if (found.empty()) return std::nullopt;
  return std::move(found.begin()->second);
}

absl::Status SqlBookingTransaction::RecordRequest(const std::string& request_id,
                                                  const RequestRecord& record,
                                                  absl::Time now) {
  for (const sql::Statement& s :
       ForgetExpiredRequestsStatements({request_id}, now)) {
    RETURN_IF_ERROR(tx_.Execute(s.sql, s.params).status());
  }
  return tx_.BulkInsert("requests", kRequestColumns,
                        RequestRows({{request_id, record}}, now));
}

absl::Status SqlBookingTransaction::AddEvent(
    training::events::v1::Event event) {
  return events::WriteToOutbox(tx_, kBookingStream, std::move(event));
}

absl::Status SqlBookingTransaction::AddEvents(
    std::vector<training::events::v1::Event> events) {
  return events::WriteToOutbox(tx_, kBookingStream, std::move(events));
}

// The inventory LockStatements read; nullopt when the session (or its
// course) is unknown.
absl::StatusOr<std::optional<SessionInventory>>
SqlBookingTransaction::LockedInventory(const std::string& session,
                                       const std::vector<ResultSet>& results) {
  if (results[0].empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<SessionInventory> inventory,
                   InventoryFrom(session, results[1]));
  if (!inventory) return std::nullopt;
  ASSIGN_OR_RETURN(int64_t n, results[2].GetInt64(0, "n"));
  inventory->any_date_waiting = static_cast<int>(n);
  return inventory;
}

// Decodes kInventorySelect's rows; a session with agency holds also
// needs its occupants by agency type.
absl::StatusOr<std::optional<SessionInventory>>
SqlBookingTransaction::InventoryFrom(const std::string& session,
                                     const ResultSet& rows) {
  if (rows.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(SessionInventory inventory, DecodeInventory(rows));
  if (!inventory.holds.empty()) {
    ASSIGN_OR_RETURN(
        ResultSet types,
        tx_.Query(
            absl::StrCat("SELECT agency_type, COUNT(*) AS n FROM "
                         "bookings WHERE session = $1 AND state IN (",
                         kConfirmed, ", ", kOffered, ") GROUP BY agency_type"),
            {session}));
    for (size_t i = 0; i < types.size(); ++i) {
      ASSIGN_OR_RETURN(int64_t type, types.GetInt64(i, "agency_type"));
      ASSIGN_OR_RETURN(int64_t count, types.GetInt64(i, "n"));
      inventory.occupants_by_type[static_cast<AgencyType>(type)] =
          static_cast<int>(count);
    }
  }
  return inventory;
}

absl::StatusOr<std::vector<StoredBooking>> SqlBookingTransaction::Bookings(
    const std::string& sql, const Params& params) {
  ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
  std::vector<StoredBooking> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(StoredBooking booking, DecodeBooking(rows, i));
    out.push_back(std::move(booking));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> SqlBookingTransaction::Column(
    const ResultSet& rows, absl::string_view column) {
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(std::string value, rows.GetString(i, column));
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace sql_store

absl::StatusOr<std::unique_ptr<SqlBookingStore>> SqlBookingStore::Open(
    sql::Database* db) {
  RETURN_IF_ERROR(
      sql::ApplyMigrations(*db, "events", events::EventMigrations()));
  RETURN_IF_ERROR(sql::ApplyMigrations(*db, "booking", BookingMigrations()));
  return std::unique_ptr<SqlBookingStore>(new SqlBookingStore(db));
}

std::unique_ptr<BookingTransaction> SqlBookingStore::Wrap(
    sql::Transaction& tx) {
  return std::make_unique<sql_store::SqlBookingTransaction>(tx);
}

absl::Status SqlBookingStore::ScrubFreedSpace() {
  // The tables personal data is written to; the outbox's events name
  // bookings, never people.
  return db_->ScrubFreedSpace({"bookings", "previous_contacts"});
}

absl::Status SqlBookingStore::Run(
    Mode mode, const std::function<absl::Status(BookingTransaction&)>& body) {
  return sql::RunInTransaction(
      *db_, mode == Mode::kRead ? sql::TxMode::kRead : sql::TxMode::kWrite,
      [&](sql::Transaction& tx) {
        sql_store::SqlBookingTransaction booking_tx(tx);
        return body(booking_tx);
      });
}

}  // namespace training::booking
