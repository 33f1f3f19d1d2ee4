#ifndef TRAINING_COMMON_REQUESTS_REQUEST_RECORDS_H_
#define TRAINING_COMMON_REQUESTS_REQUEST_RECORDS_H_

// The records idempotent creates keep (catalogue, content): which resource
// a request_id created, and a fingerprint of the request, in a table
// `request_ids` (request_id, fingerprint, resource_name, create_us) of the
// service's own database, for `retention`.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/requests/requests.h"
#include "common/sql/database.h"

namespace training::requests {

// The record of `request_id` when one younger than `retention` is kept.
absl::StatusOr<std::optional<RequestRecord>> FindRequestRecord(
    sql::Transaction& tx, const std::string& request_id, absl::Time now,
    absl::Duration retention);

// Keeps `record` for `request_id`, first forgetting every record older
// than `retention` (so that the table stays small and an old id may be
// used again). ALREADY_EXISTS when the id is kept already.
absl::Status KeepRequestRecord(sql::Transaction& tx,
                               const std::string& request_id,
                               const RequestRecord& record, absl::Time now,
                               absl::Duration retention);

}  // namespace training::requests

#endif  // TRAINING_COMMON_REQUESTS_REQUEST_RECORDS_H_
