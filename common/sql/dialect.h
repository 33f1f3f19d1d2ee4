#ifndef TRAINING_COMMON_SQL_DIALECT_H_
#define TRAINING_COMMON_SQL_DIALECT_H_

// Where SQLite's and PostgreSQL's SQL differ in what a store writes, one
// named piece of SQL per difference, so that a store says what it means
// and never branches on the engine (see also Transaction::QueryForUpdate,
// InsertNumbered and TryLock, and SqlText).

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/sql/database.h"

namespace training::sql {

// Ends a subquery so that the planner takes it as written: it neither
// pushes outer conditions into it nor flattens it (PostgreSQL: OFFSET 0;
// SQLite needs a LIMIT with its OFFSET). For plans that must stay on one
// index whatever the statistics say.
absl::string_view Fence(Engine engine);

// `expression` (text) compared byte by byte, as C++ compares strings:
// PostgreSQL compares text by the column's collation unless told; SQLite
// compares bytes already.
std::string Bytewise(Engine engine, absl::string_view expression);

// A look-up of many keys at once, each probed in an index.
struct LookUp {
  // What to return, from `table` (no other table is in scope).
  std::string columns;
  std::string table;
  // The text column the keys are matched against.
  std::string key_column;
  // More conditions, ANDed (may be empty); may use `params` as $1, $2, ….
  std::string condition = "";
  Params params = {};
};

// The rows of `lookup.table` whose key is one of `keys`, with `columns`,
// at most one row per key (the key is unique under the condition). The
// text is the same whatever the number of keys on PostgreSQL (the keys
// are one array parameter, each probed by a LATERAL subquery with LIMIT
// 1), so its plan is made once and no statistics can turn it into a scan;
// SQLite joins a list of the keys with the table.
Statement LookUpMany(Engine engine, const LookUp& lookup,
                     const std::vector<std::string>& keys);

}  // namespace training::sql

#endif  // TRAINING_COMMON_SQL_DIALECT_H_
