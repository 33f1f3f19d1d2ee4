// The SQL booking transaction's waiting lists: the head of a session's
// list, positions, any-date entries, and the offers and holds that fall
// due.

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
#include "services/booking/store_sql.h"
#include "services/booking/store_transaction.h"

namespace training::booking {
namespace sql_store {

absl::StatusOr<std::vector<StoredBooking>>
SqlBookingTransaction::HeadOfWaitlist(
    const SessionInventory& session, int limit, int64_t after_seq,
    const std::optional<std::set<AgencyType>>& agency_types) {
  const sql::Statement head = HeadOfWaitlistStatement(
      tx_.engine(), session, limit, after_seq, agency_types);
  return Bookings(head.sql, head.params);
}

absl::StatusOr<std::vector<StoredBooking>>
SqlBookingTransaction::ActiveBookings(const std::string& session) {
  return Bookings(absl::StrCat("SELECT ", kBookingColumns,
                               " FROM bookings WHERE session = $1 AND "
                               "state IN ",
                               ActiveStates(), " ORDER BY seq"),
                  {session});
}

absl::StatusOr<int> SqlBookingTransaction::WaitlistPosition(
    const std::string& session, int64_t seq) {
  ASSIGN_OR_RETURN(
      ResultSet rows,
      // Two counts, one per index (see HeadOfWaitlist).
      tx_.Query(absl::StrCat(
                    "SELECT (SELECT COUNT(*) FROM bookings WHERE session = $1 "
                    "AND state = ",
                    kWaitlisted, " AND scope <> ", kAnyDate,
                    " AND seq <= $2) + (SELECT COUNT(*) FROM bookings b JOIN "
                    "inventory i ON i.session = $1 WHERE b.scope = ",
                    kAnyDate, " AND b.state = ", kWaitlisted,
                    " AND b.course = i.course AND ", AcceptingPreferences(),
                    " AND b.seq <= $2) AS n"),
                {session, seq}));
  ASSIGN_OR_RETURN(int64_t n, rows.GetInt64(0, "n"));
  return static_cast<int>(n);
}

absl::StatusOr<int> SqlBookingTransaction::AnyDatePosition(
    const std::string& course, int64_t seq) {
  ASSIGN_OR_RETURN(
      ResultSet rows,
      tx_.Query(absl::StrCat("SELECT COUNT(*) AS n FROM bookings WHERE "
                             "scope = ",
                             kAnyDate, " AND state = ", kWaitlisted,
                             " AND course = $1 AND seq <= $2"),
                {course, seq}));
  ASSIGN_OR_RETURN(int64_t n, rows.GetInt64(0, "n"));
  return static_cast<int>(n);
}

absl::StatusOr<bool> SqlBookingTransaction::HasActiveAnyDateEntry(
    const std::string& course, const std::string& email_key, absl::Time now) {
  ASSIGN_OR_RETURN(
      ResultSet rows,
      tx_.Query(
          absl::StrCat("SELECT COUNT(*) AS n FROM bookings b LEFT JOIN "
                       "inventory i ON i.session = b.session WHERE b.scope = ",
                       kAnyDate,
                       " AND b.course = $1 AND b.email_key = $2 AND "
                       "(b.state IN (",
                       kWaitlisted, ", ", kOffered,
                       ") OR (b.state = ", kConfirmed, " AND i.end_us > $3))"),
          {course, email_key, absl::ToUnixMicros(now)}));
  ASSIGN_OR_RETURN(int64_t n, rows.GetInt64(0, "n"));
  return n > 0;
}

absl::StatusOr<std::vector<std::string>>
SqlBookingTransaction::SessionsOfCourse(const std::string& course,
                                        absl::Time starting_after) {
  ASSIGN_OR_RETURN(
      ResultSet rows,
      tx_.Query("SELECT session FROM inventory WHERE course = $1 AND "
                "scheduled = 1 AND start_us > $2 ORDER BY session",
                {course, absl::ToUnixMicros(starting_after)}));
  return Column(rows, "session");
}

absl::Status SqlBookingTransaction::LockCourse(const std::string& course) {
  return tx_
      .QueryForUpdate("SELECT course FROM courses WHERE course = $1", {course})
      .status();
}

absl::StatusOr<std::vector<std::string>> SqlBookingTransaction::ClaimDueOffers(
    absl::Time now, absl::Duration lease, int limit) {
  // The outer conditions are checked again against the row as it is
  // when locked, so two replicas never both claim one offer.
  const int64_t now_us = absl::ToUnixMicros(now);
  ASSIGN_OR_RETURN(
      ResultSet rows,
      tx_.Query(
          absl::StrCat("UPDATE bookings SET lease_us = $2 WHERE reference IN "
                       "(SELECT reference FROM bookings WHERE state = ",
                       kOffered,
                       " AND expire_us <= $1 AND (lease_us IS NULL OR "
                       "lease_us < $1) ORDER BY expire_us LIMIT $3) AND state "
                       "= ",
                       kOffered,
                       " AND (lease_us IS NULL OR lease_us < "
                       "$1) RETURNING reference, expire_us, seq"),
          {now_us, absl::ToUnixMicros(now + lease), int64_t{limit}}));
  // RETURNING keeps no order: oldest due first, then first come.
  std::vector<std::tuple<int64_t, int64_t, std::string>> due;
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(int64_t expire_us, rows.GetInt64(i, "expire_us"));
    ASSIGN_OR_RETURN(int64_t seq, rows.GetInt64(i, "seq"));
    ASSIGN_OR_RETURN(std::string reference, rows.GetString(i, "reference"));
    due.emplace_back(expire_us, seq, std::move(reference));
  }
  std::sort(due.begin(), due.end());
  std::vector<std::string> references;
  for (auto& [expire_us, seq, reference] : due)
    references.push_back(std::move(reference));
  return references;
}

absl::StatusOr<std::vector<std::string>> SqlBookingTransaction::DueHoldReleases(
    absl::Time now, int limit) {
  ASSIGN_OR_RETURN(
      ResultSet rows,
      tx_.Query("SELECT session FROM inventory WHERE release_due_us <= $1 "
                "ORDER BY release_due_us LIMIT $2",
                {absl::ToUnixMicros(now), int64_t{limit}}));
  return Column(rows, "session");
}

absl::Status SqlBookingTransaction::SetReleaseDue(
    const std::string& session, std::optional<absl::Time> due) {
  return tx_
      .Execute("UPDATE inventory SET release_due_us = $2 WHERE session = $1",
               {session, due ? Value(absl::ToUnixMicros(*due)) : sql::Null()})
      .status();
}

absl::StatusOr<std::vector<StoredBooking>>
SqlBookingTransaction::SessionBookings(const std::string& session,
                                       const std::vector<int>& states) {
  Params params;
  std::string sql =
      absl::StrCat("SELECT ", kBookingColumns, " FROM bookings WHERE ",
                   "session = ", sql::AddParam(params, session));
  absl::StrAppend(&sql, StatesIn(params, states));
  return Bookings(absl::StrCat(sql, " ORDER BY seq"), params);
}

}  // namespace sql_store

using sql_store::JoinTypes;
using sql_store::kAnyDate;
using sql_store::kBookingColumns;
using sql_store::kWaitlisted;

sql::Statement HeadOfWaitlistStatement(
    sql::Engine engine, const SessionInventory& session, int limit,
    int64_t after_seq,
    const std::optional<std::set<AgencyType>>& agency_types) {
  // One branch per index, each in seq order: with the two conditions
  // OR-ed, PostgreSQL walked the primary key in seq order and, when nobody
  // was waiting, filtered the whole table (65 ms at 600,000 bookings, on
  // every session scheduled or place freed). Each branch reads its waiting
  // rows behind a fence (OFFSET 0; SQLite needs a LIMIT with it) and sorts
  // only those: the text is the same for every call, so PostgreSQL keeps
  // one generic plan, and without the fence that plan walked the primary
  // key again to avoid the sort (28 ms at 98,000 bookings for a session
  // with nobody waiting). The page's start (`seq > $6`) and the agency
  // types (`$7`, `|3|5|`, empty for any) stay outside the fence too:
  // inside, the start was an index condition on the primary key.
  const absl::string_view fence = sql::Fence(engine);
  // Always two preferences (the first again when only one accepts), so
  // that the text, and PostgreSQL's plan, is the same for every session.
  std::vector<DeliveryPreference> accepting =
      PreferencesAccepting(session.delivery_mode);
  accepting.resize(2, accepting.front());
  constexpr char kPage[] =
      ") AS waiting WHERE seq > $6 AND ($7 = '' OR $7 LIKE '%|' || "
      "agency_type || '|%') ORDER BY seq LIMIT $5) AS ";
  const std::string types =
      agency_types ? absl::StrCat("|", JoinTypes(*agency_types, "|"), "|") : "";
  return {absl::StrCat(
              "SELECT * FROM (SELECT * FROM (SELECT ", kBookingColumns,
              " FROM bookings WHERE session = $1 AND state = ", kWaitlisted,
              " AND scope <> ", kAnyDate, fence, kPage,
              "by_session UNION ALL SELECT * FROM (SELECT * FROM "
              "(SELECT ",
              kBookingColumns, " FROM bookings WHERE scope = ", kAnyDate,
              " AND state = ", kWaitlisted,
              " AND course = $2 AND delivery_preference IN ($3, $4)", fence,
              kPage, "any_date ORDER BY seq LIMIT $5"),
          {session.session, session.course, Number(accepting[0]),
           Number(accepting[1]), int64_t{limit}, after_seq, types}};
}

}  // namespace training::booking
