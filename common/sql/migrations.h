#ifndef TRAINING_COMMON_SQL_MIGRATIONS_H_
#define TRAINING_COMMON_SQL_MIGRATIONS_H_

// Versioned schema migrations, applied at start. Each component names its
// own list; the table schema_migrations records (component, version). Safe
// to run twice and from several processes at once: on PostgreSQL the run
// holds an advisory lock, on SQLite the write lock (BEGIN IMMEDIATE); all
// missing migrations apply in one transaction, or none.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/sql/database.h"

namespace training::sql {

struct Migration {
  // 1, 2, 3 …: strictly increasing, never reused.
  int version;
  // What it does, recorded for people.
  std::string description;
  // The DDL, for each engine (often the same text).
  SqlText sql;
};

// DDL written once with two placeholders the engines spell differently:
// `BYTES` (SQLite BLOB, PostgreSQL BYTEA) and `SERIAL_KEY` (an
// auto-incrementing 64-bit primary key).
SqlText PortableDdl(absl::string_view ddl);

// Applies every migration of `component` newer than the database's. Returns
// FAILED_PRECONDITION when the database holds a version this binary does
// not know (it is newer than the code), INVALID_ARGUMENT when the list is
// not strictly increasing from 1.
absl::Status ApplyMigrations(Database& db, absl::string_view component,
                             const std::vector<Migration>& migrations);

// Migrations applied so far for `component`, in order.
absl::StatusOr<std::vector<int>> AppliedMigrations(Database& db,
                                                   absl::string_view component);

}  // namespace training::sql

#endif  // TRAINING_COMMON_SQL_MIGRATIONS_H_
