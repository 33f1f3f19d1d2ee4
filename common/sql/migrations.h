#ifndef TRAINING_COMMON_SQL_MIGRATIONS_H_
#define TRAINING_COMMON_SQL_MIGRATIONS_H_

// Versioned schema migrations, applied at start. Each component names its
// own list; the table schema_migrations records (component, version). Safe
// to run twice and from several processes at once: on PostgreSQL the run
// holds an advisory lock, on SQLite the write lock (BEGIN IMMEDIATE); all
// missing migrations apply in one transaction, or none.
//
// Rolling updates run two releases side by side on one database, so a
// schema change is made in two halves over two releases: first expand (add
// tables, nullable or defaulted columns, indexes; write both shapes), then,
// once no binary of the release before is left, contract (drop what only
// the old code used), a migration marked `contract`. A binary older than
// the database runs against it unless a contract migration it does not
// know has run (table schema_readers keeps the oldest version a binary
// must know). deploy/README.md states the rule for people.

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
  // It takes away what older binaries use (a dropped or renamed table or
  // column, a tightened constraint): from then on only binaries that know
  // it may run.
  bool contract = false;
};

// DDL written once with two placeholders the engines spell differently:
// `BYTES` (SQLite BLOB, PostgreSQL BYTEA) and `SERIAL_KEY` (an
// auto-incrementing 64-bit primary key).
SqlText PortableDdl(absl::string_view ddl);

// Applies every migration of `component` newer than the database's. A
// database newer than the binary is left as it is: OK when the versions
// this binary does not know only expanded the schema, FAILED_PRECONDITION
// when one of them was a contract migration. INVALID_ARGUMENT when the
// list is not strictly increasing from 1.
absl::Status ApplyMigrations(Database& db, absl::string_view component,
                             const std::vector<Migration>& migrations);

// Migrations applied so far for `component`, in order.
absl::StatusOr<std::vector<int>> AppliedMigrations(Database& db,
                                                   absl::string_view component);

}  // namespace training::sql

#endif  // TRAINING_COMMON_SQL_MIGRATIONS_H_
