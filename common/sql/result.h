#ifndef TRAINING_COMMON_SQL_RESULT_H_
#define TRAINING_COMMON_SQL_RESULT_H_

// Values, parameters and results of the SQL layer, the same for every
// engine. Parameters are always bound, never spliced into SQL text.
//
// Column types the suite uses on both engines: INTEGER/BIGINT (also for
// booleans 0/1 and instants as Unix microseconds), DOUBLE, TEXT and BLOB
// (bytea). Row access is typed and reports a clear error naming the column
// when the type or the column is wrong.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace training::sql {

// Bytes for a BLOB/bytea column.
struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

// One value: NULL, integer, real, text or blob.
using Value = std::variant<std::monostate, int64_t, double, std::string, Blob>;

// Bound parameters, `$1` is params[0].
using Params = std::vector<Value>;

inline Value Null() { return std::monostate{}; }

// Appends `value` to `params` and returns its placeholder (`$3`), for SQL
// built from optional filters.
std::string AddParam(Params& params, Value value);

// PostgreSQL's text form of an array of `values` ('{1,NULL,"a \"b\""}'):
// one parameter in place of a list of them, so that the statement's text
// (and plan) is the same for any number of values. Numbers and text only;
// a blob is INVALID_ARGUMENT.
absl::StatusOr<std::string> ArrayLiteral(const std::vector<Value>& values);

// PostgreSQL's COPY text form of `rows`: a line per row, values separated
// by tabs, NULL as \N, backslashes and control characters escaped. Numbers
// and text only; a blob is INVALID_ARGUMENT.
absl::StatusOr<std::string> CopyText(const std::vector<Params>& rows);

// A materialised result: column names and rows of values.
class ResultSet {
 public:
  ResultSet() = default;
  ResultSet(std::vector<std::string> columns,
            std::vector<std::vector<Value>> rows)
      : columns_(std::move(columns)), rows_(std::move(rows)) {}

  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  const std::vector<std::string>& columns() const { return columns_; }

  // Typed access to row `row`, column `column`. NOT_FOUND-free on purpose:
  // INTERNAL (a programming error) when the row or column does not exist,
  // FAILED_PRECONDITION when the value is NULL or of another type.
  absl::StatusOr<int64_t> GetInt64(size_t row, absl::string_view column) const;
  absl::StatusOr<double> GetDouble(size_t row, absl::string_view column) const;
  absl::StatusOr<std::string> GetString(size_t row,
                                        absl::string_view column) const;
  absl::StatusOr<Blob> GetBlob(size_t row, absl::string_view column) const;
  // As above, but NULL gives nullopt.
  absl::StatusOr<std::optional<int64_t>> GetOptionalInt64(
      size_t row, absl::string_view column) const;
  absl::StatusOr<std::optional<std::string>> GetOptionalString(
      size_t row, absl::string_view column) const;
  // Whether the value is NULL; INTERNAL when the column does not exist.
  absl::StatusOr<bool> IsNull(size_t row, absl::string_view column) const;

  const std::vector<std::vector<Value>>& rows() const { return rows_; }

 private:
  absl::StatusOr<const Value*> Find(size_t row, absl::string_view column) const;

  std::vector<std::string> columns_;
  std::vector<std::vector<Value>> rows_;
};

}  // namespace training::sql

#endif  // TRAINING_COMMON_SQL_RESULT_H_
