#ifndef TRAINING_COMMON_SQL_SQLITE_DATABASE_H_
#define TRAINING_COMMON_SQL_SQLITE_DATABASE_H_

// The embedded engine: SQLite in WAL mode with synchronous=FULL (a commit is
// durable before it returns), one writer connection per process (several
// writers starve each other) and a few reader connections. Write
// transactions take the database write lock at BEGIN (BEGIN IMMEDIATE) and
// wait up to the busy timeout for another process holding it.

#include <functional>
#include <memory>
#include <string>

#include "common/sql/database.h"

namespace training::sql {

absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(
    const std::string& path, const DatabaseOptions& options);

// Called (from the waiting thread) each time a connection of this process
// waits for another's lock. Tests use it to observe contention.
void SetSqliteBusyObserverForTest(std::function<void()> observer);

}  // namespace training::sql

#endif  // TRAINING_COMMON_SQL_SQLITE_DATABASE_H_
