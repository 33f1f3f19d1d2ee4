// The notification store's enquiries: kept with the sender's address and
// its keyed hash, by which the per-address limit counts them and an
// erasure finds them.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "services/notification/store.h"

namespace training::notification {
namespace {

constexpr char kEnquiryColumns[] =
    "id, request_id, display_name, email, session, body, create_us";

absl::StatusOr<EnquiryRecord> DecodeEnquiry(const sql::ResultSet& rows,
                                            size_t i) {
  EnquiryRecord e;
  ASSIGN_OR_RETURN(e.id, rows.GetString(i, "id"));
  ASSIGN_OR_RETURN(e.request_id, rows.GetString(i, "request_id"));
  ASSIGN_OR_RETURN(e.display_name, rows.GetString(i, "display_name"));
  ASSIGN_OR_RETURN(e.email, rows.GetString(i, "email"));
  ASSIGN_OR_RETURN(e.session, rows.GetString(i, "session"));
  ASSIGN_OR_RETURN(e.text, rows.GetString(i, "body"));
  ASSIGN_OR_RETURN(int64_t us, rows.GetInt64(i, "create_us"));
  e.create_time = absl::FromUnixMicros(us);
  return e;
}

}  // namespace

absl::StatusOr<std::optional<EnquiryRecord>>
NotificationStore::FindEnquiryByRequest(sql::Transaction& tx,
                                        const std::string& request_id) {
  ASSIGN_OR_RETURN(sql::ResultSet rows,
                   tx.Query(absl::StrCat("SELECT ", kEnquiryColumns,
                                         " FROM enquiries WHERE request_id = "
                                         "$1"),
                            {request_id}));
  if (rows.empty()) return std::nullopt;
  return DecodeEnquiry(rows, 0);
}

absl::StatusOr<std::pair<int64_t, absl::Time>>
NotificationStore::RecentEnquiries(sql::Transaction& tx,
                                   const std::string& email, absl::Time since) {
  sql::Params params = {absl::ToUnixMicros(since)};
  ASSIGN_OR_RETURN(
      sql::ResultSet rows,
      tx.Query(absl::StrCat("SELECT COUNT(*) AS n, MIN(create_us) AS oldest "
                            "FROM enquiries WHERE create_us >= $1 AND "
                            "address_hash",
                            AddressIn(params, email)),
               params));
  ASSIGN_OR_RETURN(int64_t n, rows.GetInt64(0, "n"));
  if (n == 0) return std::make_pair(n, since);
  ASSIGN_OR_RETURN(int64_t oldest, rows.GetInt64(0, "oldest"));
  return std::make_pair(n, absl::FromUnixMicros(oldest));
}

absl::Status NotificationStore::AddEnquiry(sql::Transaction& tx,
                                           const EnquiryRecord& e) {
  ASSIGN_OR_RETURN(
      int64_t added,
      tx.Execute(
          "INSERT INTO enquiries (id, request_id, display_name, email, "
          "address_hash, session, body, create_us) VALUES ($1, $2, $3, $4, "
          "$5, $6, $7, $8) ON CONFLICT (request_id) WHERE request_id <> '' "
          "DO NOTHING",
          {e.id, e.request_id, e.display_name, e.email, AddressHash(e.email),
           e.session, e.text, absl::ToUnixMicros(e.create_time)}));
  // The same request at once from another caller: run again, to answer
  // what it stored.
  if (added == 0) {
    return TransactionConflictError("an enquiry with this request id came");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EnquiryRecord>> NotificationStore::EnquiriesFrom(
    const std::string& email) {
  std::vector<EnquiryRecord> out;
  sql::Params params;
  const std::string sql = absl::StrCat(
      "SELECT ", kEnquiryColumns, " FROM enquiries WHERE address_hash",
      AddressIn(params, email), " ORDER BY create_us DESC, id DESC");
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        out.clear();
        ASSIGN_OR_RETURN(sql::ResultSet rows, tx.Query(sql, params));
        for (size_t i = 0; i < rows.size(); ++i) {
          ASSIGN_OR_RETURN(out.emplace_back(), DecodeEnquiry(rows, i));
        }
        return absl::OkStatus();
      }));
  return out;
}

}  // namespace training::notification
