#ifndef TRAINING_SERVICES_BOOKING_STORE_ROWS_H_
#define TRAINING_SERVICES_BOOKING_STORE_ROWS_H_

// How the SQL booking store encodes what it keeps: the domain's enum values
// in SQL text, bookings and inventories as rows, and the statements that
// several parts of the store share. For the store's files only.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/booking/domain.h"
#include "services/booking/store.h"

namespace training::booking::sql_store {

using sql::Params;

using sql::ResultSet;

using sql::Value;

// What an erased booking's address key becomes: no address starts so.
inline constexpr char kErasedPrefix[] = "erased:";

Value OptionalTime(const google::protobuf::Timestamp& t);

// Sets the timestamp `mutable_field` gives only when the column holds one:
// asking a message for a mutable field creates it, and a NULL column must
// leave the field unset (a waiting booking has no confirm_time).
template <typename MutableField>
absl::Status SetOptionalTime(const ResultSet& rows, size_t row,
                             absl::string_view column,
                             MutableField mutable_field) {
  ASSIGN_OR_RETURN(std::optional<int64_t> micros,
                   rows.GetOptionalInt64(row, column));
  if (micros) *mutable_field() = ToProto(absl::FromUnixMicros(*micros));
  return absl::OkStatus();
}

// Agency types as their numbers joined by `separator`.
std::string JoinTypes(const std::set<AgencyType>& types,
                      absl::string_view separator);

std::set<AgencyType> SplitTypes(absl::string_view joined, char separator);

// `|1|3|`: a course's eligible agency types as one column.
std::string EncodeEligible(const std::set<AgencyType>& types);

// Holds as one column: `3.5:4:<release_us>;…` (agency types, places,
// release time), read back only by this file.
std::string EncodeHolds(const std::vector<HeldPlaces>& holds);

std::vector<HeldPlaces> DecodeHolds(absl::string_view text);

// The domain's enum values as stored (domain_types.h), for SQL text.
inline constexpr int64_t kConfirmed = Number(BookingState::kConfirmed);

inline constexpr int64_t kWaitlisted = Number(BookingState::kWaitlisted);

inline constexpr int64_t kOffered = Number(BookingState::kOffered);

inline constexpr int64_t kAnyDate = Number(BookingScope::kAnyDate);

// `(1, 2, 3)`: the states that hold or wait for a place (IsActive).
const std::string& ActiveStates();

// The any-date delivery preferences that accept a session delivered in
// the mode of inventory row `i`, as SQL: PreferencesAccepting written out
// for each mode, so that the rule has one home.
const std::string& AcceptingPreferences();

inline constexpr char kInventorySelect[] =
    "SELECT i.session, i.course, i.scheduled, i.capacity, i.confirmed, "
    "i.offers, i.waiting, i.delivery_mode, i.holds, i.open_us, i.close_us, "
    "i.start_us, i.end_us, i.version, c.published, c.eligible, "
    "c.late_window_us, c.offer_mode, c.hold_us, c.min_hold_us FROM inventory i "
    "JOIN courses c ON c.course = i.course WHERE i.session = $1";

absl::StatusOr<SessionInventory> DecodeInventory(const ResultSet& rows);

// Locks the session's inventory row alone (FOR UPDATE on the join would
// also lock the course, which every session of the course shares), then
// reads it with its course, then counts the course's any-date entries
// waiting for such a session (only decisions need that: the position a
// new waiting entry gets). Read by LockedInventory.
std::vector<sql::Statement> LockStatements(const std::string& session);

// ` AND state IN ($n, …)` for `states`, binding them into `params`; empty
// when there are none (any state).
std::string StatesIn(sql::Params& params, const std::vector<int>& states);

// The live and expired records of `request_ids`, each probed in the
// primary key (sql::LookUpMany: `request_id = ANY($1::text[])` or `IN ($1,
// …)` were planned as sequential scans on PostgreSQL while the table was
// young, 3–8 ms a batch, up to 177 ms when PostgreSQL kept that plan as
// the table grew).
sql::Statement FindRequestsStatement(
    sql::Engine engine, const std::vector<std::string>& request_ids);

// The records found, by id; expired ones are as if never made (their ids
// go to `expired`, when given).
absl::StatusOr<std::map<std::string, RequestRecord>> DecodeRequests(
    const ResultSet& rows, absl::Time now,
    std::vector<std::string>* expired = nullptr);

// Deletes the expired records of `expired_ids` (ids about to be recorded
// again), and a few of the oldest expired ones with them, so that the
// table holds about one retention period of requests without a separate
// sweeper.
std::vector<sql::Statement> ForgetExpiredRequestsStatements(
    const std::vector<std::string>& expired_ids, absl::Time now);

inline constexpr char kRequestColumns[] =
    "request_id, fingerprint, reference, create_us";

// Rows for kRequestColumns (after ForgetExpiredRequestsStatements ran).
std::vector<Params> RequestRows(
    const std::vector<std::pair<std::string, RequestRecord>>& records,
    absl::Time now);

// Which of the addresses asked hold a place in the session, each probed in
// the (session, address) index (sql::LookUpMany; as a join with an array,
// the plan PostgreSQL kept from the table's first rows looped over the
// session's bookings scanning the array for each: 5 ms a batch).
sql::Statement ActiveEmailKeysStatement(
    sql::Engine engine, const std::string& session,
    const std::vector<std::string>& email_keys);

// Returns the new version: no row means no such session.
sql::Statement SaveCountsStatement(const SessionInventory& inventory);

inline constexpr char kBookingColumns[] =
    "seq, reference, session, course, scope, delivery_preference, state, "
    "display_name, email, phone, organisation, agency_type, job_role, "
    "line_manager_email, access_needs, booked_by_org, token_kid, "
    "token_version, create_us, confirm_us, update_us, cancel_us, "
    "cancel_cause, cancel_reason, cancel_late, attendance, attendance_us, "
    "offer_us, expire_us, version";

absl::StatusOr<StoredBooking> DecodeBooking(const ResultSet& rows, size_t i);

// The columns UpdateBooking writes, $2.. in kBookingColumns order after
// reference.
Params MutableColumns(const StoredBooking& stored);

// The columns InsertBookings writes, in MutableColumns' order and then
// the ones set only once. The version column is 1.
inline constexpr char kInsertColumns[] =
    "reference, session, state, display_name, email, email_key, phone, "
    "organisation, agency_type, job_role, line_manager_email, access_needs, "
    "confirm_us, update_us, cancel_us, cancel_cause, cancel_reason, "
    "cancel_late, attendance, offer_us, expire_us, course, scope, "
    "delivery_preference, booked_by_org, token_kid, create_us, version";

}  // namespace training::booking::sql_store

#endif  // TRAINING_SERVICES_BOOKING_STORE_ROWS_H_
