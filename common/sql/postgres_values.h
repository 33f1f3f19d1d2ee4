#ifndef TRAINING_COMMON_SQL_POSTGRES_VALUES_H_
#define TRAINING_COMMON_SQL_POSTGRES_VALUES_H_

// What libpq takes and gives, in the SQL layer's terms: parameters bound as
// text (blobs as binary), results as ResultSets, errors as statuses.

#include <libpq-fe.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/sql/result.h"

namespace training::sql::postgres {

// The status of a failed `result` (null: the connection failed), with the
// codes database.h promises: ALREADY_EXISTS on a unique violation,
// FAILED_PRECONDITION on other constraints, a TransactionConflictError on
// a serialisation failure or deadlock, ABORTED on a lock timeout,
// DEADLINE_EXCEEDED on a statement timeout, INVALID_ARGUMENT on a value the
// database refuses (class 22), UNAVAILABLE when the server cannot work
// (classes 08, 53, 57P, 58, XX), INTERNAL otherwise. The message names
// `what`, tables and columns, never values.
absl::Status StatusFromResult(PGconn* conn, const PGresult* result,
                              absl::string_view what);

// "$1 … $n" need text values; blobs go as binary. Strings and blobs are
// passed where they are (`params` outlives the call); numbers are spelled
// out here.
struct BoundParams {
  std::vector<std::string> numbers;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;

  explicit BoundParams(const Params& params);
};

// The rows of a successful result, typed by column OID.
ResultSet ToResultSet(const PGresult* result);

}  // namespace training::sql::postgres

#endif  // TRAINING_COMMON_SQL_POSTGRES_VALUES_H_
