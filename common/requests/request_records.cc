#include "common/requests/request_records.h"

#include "common/status_macros.h"

namespace training::requests {

absl::StatusOr<std::optional<RequestRecord>> FindRequestRecord(
    sql::Transaction& tx, const std::string& request_id, absl::Time now,
    absl::Duration retention) {
  ASSIGN_OR_RETURN(
      sql::ResultSet rows,
      tx.Query("SELECT fingerprint, resource_name FROM request_ids "
               "WHERE request_id = $1 AND create_us > $2",
               {request_id, absl::ToUnixMicros(now - retention)}));
  if (rows.empty()) return std::nullopt;
  RequestRecord record;
  ASSIGN_OR_RETURN(record.fingerprint, rows.GetString(0, "fingerprint"));
  ASSIGN_OR_RETURN(record.resource, rows.GetString(0, "resource_name"));
  return record;
}

absl::Status KeepRequestRecord(sql::Transaction& tx,
                               const std::string& request_id,
                               const RequestRecord& record, absl::Time now,
                               absl::Duration retention) {
  RETURN_IF_ERROR(tx.Execute("DELETE FROM request_ids WHERE create_us <= $1",
                             {absl::ToUnixMicros(now - retention)})
                      .status());
  return tx
      .Execute(
          "INSERT INTO request_ids (request_id, fingerprint, resource_name, "
          "create_us) VALUES ($1, $2, $3, $4)",
          {request_id, record.fingerprint, record.resource,
           absl::ToUnixMicros(now)})
      .status();
}

}  // namespace training::requests
