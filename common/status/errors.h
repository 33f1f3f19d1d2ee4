#ifndef TRAINING_COMMON_STATUS_ERRORS_H_
#define TRAINING_COMMON_STATUS_ERRORS_H_

// Rich errors inside the suite: absl::Status carrying google.rpc details
// (BadRequest field violations, ErrorInfo, RetryInfo) as payloads keyed by
// their type URLs, so that domain code stays free of gRPC and handlers can
// turn them into google.rpc.Status (see grpc_status.h).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace training {

// The domain every ErrorInfo of the suite carries.
inline constexpr char kErrorDomain[] = "training.example.org";

// One invalid field. `field` is a dotted path in the request
// (`booking.attendee.email`); `description` names the rule, never the value.
struct FieldViolation {
  std::string field;
  std::string description;

  bool operator==(const FieldViolation&) const = default;
};

// INVALID_ARGUMENT carrying a BadRequest with `violations` (at least one).
// The message lists them: "booking.attendee.email: must be a work address".
absl::Status InvalidArgumentError(std::vector<FieldViolation> violations);

// Returns `status` with an ErrorInfo attached: `reason` is an
// UPPER_SNAKE_CASE constant (SESSION_FULL), `metadata` safe, non-personal
// key/value pairs.
absl::Status WithErrorInfo(absl::Status status, std::string reason,
                           std::map<std::string, std::string> metadata = {});

// Returns `status` with a RetryInfo advising to retry after `delay`.
absl::Status WithRetryInfo(absl::Status status, absl::Duration delay);

// ABORTED marked as a transaction conflict: what the transaction read
// moved under it (a serialisation failure, a deadlock, a store's own check
// that a row changed between two reads), so running the whole transaction
// again may well succeed. sql::RunInTransaction reruns these and only
// these: a plain ABORTED (a stale etag) is the caller's to handle. The mark
// is internal and never leaves the process (ToRpcStatus drops it).
absl::Status TransactionConflictError(absl::string_view message);
bool IsTransactionConflict(const absl::Status& status);

// RESOURCE_EXHAUSTED with a RetryInfo of `retry_after`: the server is too
// busy to take the call now, and a retry shortly is welcome.
absl::Status OverloadedError(
    absl::string_view message,
    absl::Duration retry_after = absl::Milliseconds(200));

// The field violations of a status; empty when it has none.
std::vector<FieldViolation> GetFieldViolations(const absl::Status& status);

// The ErrorInfo reason and metadata of a status, when it has one.
struct ErrorInfo {
  std::string reason;
  std::string domain;
  std::map<std::string, std::string> metadata;
};
std::optional<ErrorInfo> GetErrorInfo(const absl::Status& status);

// The advised retry delay of a status, when it has one.
std::optional<absl::Duration> GetRetryDelay(const absl::Status& status);

}  // namespace training

#endif  // TRAINING_COMMON_STATUS_ERRORS_H_
