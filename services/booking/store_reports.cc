// The SQL booking transaction's records and reports: attendance, the
// participation and reach figures, grouped and cut by the database.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
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

absl::Status SqlBookingTransaction::SetAttendance(const std::string& reference,
                                                  v1::Attendance attendance,
                                                  absl::Time at) {
  ASSIGN_OR_RETURN(
      int64_t changed,
      tx_.Execute("UPDATE bookings SET attendance = $2, attendance_us = $3, "
                  "update_us = $3, version = version + 1 WHERE "
                  "reference = $1",
                  {reference, int64_t{attendance}, absl::ToUnixMicros(at)}));
  if (changed == 0) return absl::NotFoundError("booking: not found");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ParticipationSummary>>
SqlBookingTransaction::ParticipationPage(
    absl::Time from, absl::Time to, bool by_person,
    const std::optional<v1::ParticipationSummary>& after, int limit) {
  // Keys compare byte by byte, as page tokens and the C++ rule do; the
  // organisation column keeps the database's collation, so PostgreSQL is
  // told to compare it as bytes here.
  const std::string key =
      by_person ? "b.email_key" : sql::Bytewise(tx_.engine(), "b.organisation");
  Params params;
  std::string sql = absl::StrCat(
      "SELECT k, bookings, late, no_shows FROM (SELECT ", key,
      " AS k, COUNT(*) AS bookings, SUM(CASE WHEN b.state = ",
      Number(BookingState::kCancelled),
      " AND b.cancel_late <> 0 THEN 1 ELSE 0 END) AS late, SUM(CASE WHEN "
      "b.attendance = ",
      int{v1::NO_SHOW},
      " THEN 1 ELSE 0 END) AS no_shows FROM bookings b JOIN inventory i ON "
      "i.session = b.session WHERE i.start_us >= ",
      sql::AddParam(params, absl::ToUnixMicros(from)), " AND i.start_us < ",
      sql::AddParam(params, absl::ToUnixMicros(to)), " AND ", key, " <> ''");
  if (by_person) {
    absl::StrAppend(&sql, " AND b.email_key NOT LIKE '", kErasedPrefix, "%'");
  }
  absl::StrAppend(&sql, " GROUP BY ", key, ") g");
  if (after) {
    const std::string no_shows =
        sql::AddParam(params, int64_t{after->no_shows()});
    const std::string late =
        sql::AddParam(params, int64_t{after->late_cancellations()});
    absl::StrAppend(&sql, " WHERE no_shows < ", no_shows,
                    " OR (no_shows = ", no_shows, " AND (late < ", late,
                    " OR (late = ", late, " AND k > ",
                    sql::AddParam(params, after->key()), ")))");
  }
  absl::StrAppend(&sql, " ORDER BY no_shows DESC, late DESC, k LIMIT ",
                  sql::AddParam(params, int64_t{limit}));
  ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
  std::vector<v1::ParticipationSummary> page(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(*page[i].mutable_key(), rows.GetString(i, "k"));
    ASSIGN_OR_RETURN(int64_t bookings, rows.GetInt64(i, "bookings"));
    ASSIGN_OR_RETURN(int64_t late, rows.GetInt64(i, "late"));
    ASSIGN_OR_RETURN(int64_t no_shows, rows.GetInt64(i, "no_shows"));
    page[i].set_bookings(static_cast<int32_t>(bookings));
    page[i].set_late_cancellations(static_cast<int32_t>(late));
    page[i].set_no_shows(static_cast<int32_t>(no_shows));
  }
  return page;
}

absl::StatusOr<std::vector<ReachFact>> SqlBookingTransaction::ReachFacts(
    absl::Time from, absl::Time to, const std::string& course,
    const std::string& booked_by_org) {
  Params params;
  std::string sql = absl::StrCat(
      "SELECT i.course, b.session, b.organisation, b.email_key, "
      "b.agency_type, b.state, b.create_us, b.confirm_us, b.cancel_us, "
      "b.cancel_late, b.attendance FROM bookings b JOIN inventory i ON "
      "i.session = b.session WHERE i.start_us >= ",
      sql::AddParam(params, absl::ToUnixMicros(from)), " AND i.start_us < ",
      sql::AddParam(params, absl::ToUnixMicros(to)));
  if (!course.empty()) {
    absl::StrAppend(&sql, " AND i.course = ", sql::AddParam(params, course));
  }
  if (!booked_by_org.empty()) {
    absl::StrAppend(
        &sql, " AND b.booked_by_org = ", sql::AddParam(params, booked_by_org));
  }
  ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
  std::vector<ReachFact> facts(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    ReachFact& f = facts[i];
    ASSIGN_OR_RETURN(f.course, rows.GetString(i, "course"));
    ASSIGN_OR_RETURN(f.session, rows.GetString(i, "session"));
    ASSIGN_OR_RETURN(f.organisation, rows.GetString(i, "organisation"));
    ASSIGN_OR_RETURN(f.email_key, rows.GetString(i, "email_key"));
    if (absl::StartsWith(f.email_key, kErasedPrefix)) f.email_key.clear();
    ASSIGN_OR_RETURN(int64_t agency_type, rows.GetInt64(i, "agency_type"));
    f.agency_type = static_cast<int>(agency_type);
    ASSIGN_OR_RETURN(int64_t state, rows.GetInt64(i, "state"));
    f.state = static_cast<v1::Booking::State>(state);
    ASSIGN_OR_RETURN(int64_t create_us, rows.GetInt64(i, "create_us"));
    f.create_time = absl::FromUnixMicros(create_us);
    ASSIGN_OR_RETURN(std::optional<int64_t> confirm_us,
                     rows.GetOptionalInt64(i, "confirm_us"));
    if (confirm_us) f.confirm_time = absl::FromUnixMicros(*confirm_us);
    ASSIGN_OR_RETURN(std::optional<int64_t> cancel_us,
                     rows.GetOptionalInt64(i, "cancel_us"));
    if (cancel_us) f.cancel_time = absl::FromUnixMicros(*cancel_us);
    ASSIGN_OR_RETURN(int64_t late, rows.GetInt64(i, "cancel_late"));
    f.late = late != 0;
    ASSIGN_OR_RETURN(int64_t attendance, rows.GetInt64(i, "attendance"));
    f.attendance = static_cast<v1::Attendance>(attendance);
  }
  return facts;
}

absl::StatusOr<std::vector<SessionStart>>
SqlBookingTransaction::SessionsStarting(absl::Time from, absl::Time to,
                                        const std::string& course) {
  Params params;
  std::string sql = absl::StrCat(
      "SELECT course, session, start_us, scheduled FROM inventory WHERE "
      "start_us >= ",
      sql::AddParam(params, absl::ToUnixMicros(from)), " AND start_us < ",
      sql::AddParam(params, absl::ToUnixMicros(to)));
  if (!course.empty()) {
    absl::StrAppend(&sql, " AND course = ", sql::AddParam(params, course));
  }
  ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
  std::vector<SessionStart> sessions(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(sessions[i].course, rows.GetString(i, "course"));
    ASSIGN_OR_RETURN(sessions[i].session, rows.GetString(i, "session"));
    ASSIGN_OR_RETURN(int64_t start_us, rows.GetInt64(i, "start_us"));
    sessions[i].start = absl::FromUnixMicros(start_us);
    ASSIGN_OR_RETURN(int64_t scheduled, rows.GetInt64(i, "scheduled"));
    sessions[i].scheduled = scheduled != 0;
  }
  return sessions;
}

}  // namespace sql_store

}  // namespace training::booking
