// The SQL booking transaction's batch path: everything a batch of
// bookings is decided on read in one round trip, and the batch saved in a
// few, whatever its size.

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

absl::StatusOr<BatchReading> SqlBookingTransaction::ReadForBatch(
    const std::string& session, const std::vector<std::string>& request_ids,
    const std::vector<std::string>& email_keys, absl::Time now) {
  // The lock first, then everything else: under READ COMMITTED each
  // statement after it sees what another replica's batch for the session
  // committed while this one waited. Request records read before the
  // lock missed a retry of the same request that the other replica had
  // just booked, and the retry was refused as a duplicate address
  // instead of getting its booking.
  std::vector<sql::Statement> statements = LockStatements(session);
  const size_t lock_count = statements.size();
  if (!request_ids.empty()) {
    statements.push_back(FindRequestsStatement(tx_.engine(), request_ids));
  }
  if (!email_keys.empty()) {
    statements.push_back(
        ActiveEmailKeysStatement(tx_.engine(), session, email_keys));
  }
  ASSIGN_OR_RETURN(std::vector<ResultSet> results, tx_.QueryAll(statements));
  BatchReading reading;
  ASSIGN_OR_RETURN(reading.inventory,
                   LockedInventory(session, {results.begin(),
                                             results.begin() + lock_count}));
  if (!request_ids.empty()) {
    ASSIGN_OR_RETURN(
        reading.records,
        DecodeRequests(results[lock_count], now, &reading.expired_request_ids));
  }
  if (!email_keys.empty()) {
    for (size_t i = 0; i < results.back().size(); ++i) {
      ASSIGN_OR_RETURN(std::string key,
                       results.back().GetString(i, "email_key"));
      reading.active_email_keys.insert(std::move(key));
    }
  }
  return reading;
}

absl::Status SqlBookingTransaction::SaveBatch(
    std::vector<StoredBooking>& bookings,
    std::vector<training::events::v1::Event> events,
    const std::vector<std::pair<std::string, RequestRecord>>& records,
    const std::vector<std::string>& expired_request_ids,
    SessionInventory& inventory, absl::Time now) {
  RETURN_IF_ERROR(InsertBookings(bookings));
  std::vector<sql::Statement> statements;
  if (!events.empty()) {
    ASSIGN_OR_RETURN(
        sql::Statement outbox,
        events::OutboxInsert(std::string(kBookingStream), std::move(events)));
    statements.push_back(std::move(outbox));
  }
  if (!records.empty()) {
    for (sql::Statement& s :
         ForgetExpiredRequestsStatements(expired_request_ids, now)) {
      statements.push_back(std::move(s));
    }
  }
  statements.push_back(SaveCountsStatement(inventory));
  ASSIGN_OR_RETURN(std::vector<ResultSet> results, tx_.QueryAll(statements));
  if (results.back().empty())
    return absl::NotFoundError("inventory: not found");
  ++inventory.version;
  return tx_.BulkInsert("requests", kRequestColumns, RequestRows(records, now));
}

absl::StatusOr<bool> SqlBookingTransaction::HasActiveBooking(
    const std::string& session, const std::string& email_key,
    const std::string& except_reference) {
  ASSIGN_OR_RETURN(
      ResultSet rows,
      tx_.Query(absl::StrCat("SELECT COUNT(*) AS n FROM bookings WHERE "
                             "session = $1 AND email_key = $2 AND state IN ",
                             ActiveStates(), " AND reference <> $3"),
                {session, email_key, except_reference}));
  ASSIGN_OR_RETURN(int64_t n, rows.GetInt64(0, "n"));
  return n > 0;
}

absl::StatusOr<std::set<std::string>> SqlBookingTransaction::ActiveAddresses(
    const std::string& session, const std::vector<std::string>& email_keys) {
  if (email_keys.empty()) return std::set<std::string>();
  const sql::Statement active =
      ActiveEmailKeysStatement(tx_.engine(), session, email_keys);
  ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(active.sql, active.params));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, Column(rows, "email_key"));
  return std::set<std::string>(keys.begin(), keys.end());
}

}  // namespace sql_store

}  // namespace training::booking
