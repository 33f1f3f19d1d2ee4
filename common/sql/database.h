#ifndef TRAINING_COMMON_SQL_DATABASE_H_
#define TRAINING_COMMON_SQL_DATABASE_H_

// One SQL interface, two engines (SqliteDatabase, PostgresDatabase), chosen
// by URL:
//   sqlite:///abs/path/file.db   sqlite://relative/file.db
//       ?readers=4&busy_timeout_ms=5000
//   postgresql://user@host:port/db?pool_size=8&acquire_timeout_ms=5000
//       &statement_timeout_ms=30000&lock_timeout_ms=0
//       &call_timeout_ms=35000 (default: statement_timeout_ms + 5000)
//       (+ any libpq option; connect_timeout defaults to 5 seconds, TCP
//       keepalives to idle 30 s / interval 10 s / count 3, and
//       tcp_user_timeout to 30000 ms, so that a dead peer is noticed)
//
// Every wait for the database is bounded on the client side by the
// thread's CurrentDeadline() (common/time/deadline.h): the caller's
// deadline, when there is one. On PostgreSQL each wait for the server is
// also bounded by call_timeout (for work without a caller, such as the
// outbox relay); on SQLite the busy wait for another process's lock is.
// Past it: DEADLINE_EXCEEDED, and a PostgreSQL connection is discarded.
// (libpq resolves a host name before any wait begins, and the resolver's
// own timeouts bound that: give an address, or a resolver close by.)
//
// SQL is written once with `$1, $2, …` placeholders, which both engines
// bind. Where the engines differ, the difference is a named operation of
// this interface (QueryForUpdate) or one SqlText holding both spellings,
// never an `if (sqlite)` in a store.
//
// Errors: ALREADY_EXISTS on a unique violation, FAILED_PRECONDITION on other
// constraint violations, ABORTED on a serialization failure or deadlock
// (marked IsTransactionConflict: retry the whole transaction, as
// RunInTransaction does) and on a lock timeout (not marked),
// DEADLINE_EXCEEDED on a statement timeout, UNAVAILABLE when the database
// cannot be reached or no connection is free in time, INTERNAL for SQL
// errors (a bug). Messages name tables and columns, never values.
//
// Database objects are thread-safe; a Transaction belongs to one thread.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/result.h"

namespace training::sql {

enum class Engine { kSqlite, kPostgres };

// A statement spelled for each engine, for the few that differ.
struct SqlText {
  std::string sqlite;
  std::string postgres;
  const std::string& For(Engine engine) const {
    return engine == Engine::kSqlite ? sqlite : postgres;
  }
};

enum class TxMode {
  // Reads only (SQLite: a reader connection; PostgreSQL: READ ONLY).
  kRead,
  // May write. SQLite: the process's one writer connection, BEGIN IMMEDIATE,
  // so that the database write lock is held from the start (a read-then-write
  // transaction can otherwise fail with SQLITE_BUSY_SNAPSHOT).
  kWrite,
};

// A statement with its parameters, for Transaction::QueryAll.
struct Statement {
  std::string sql;
  Params params;
  bool for_update = false;  // run as QueryForUpdate
};

// A transaction. Destroyed without Commit(), it rolls back: never left open.
class Transaction {
 public:
  virtual ~Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // The engine it runs on, for the few statements spelled differently.
  virtual Engine engine() const = 0;

  // Runs a statement and returns its rows (empty for statements without).
  absl::StatusOr<ResultSet> Query(absl::string_view sql,
                                  const Params& params = {}) {
    return Run(sql, params, nullptr);
  }
  // Runs a statement; returns the number of rows changed.
  absl::StatusOr<int64_t> Execute(absl::string_view sql,
                                  const Params& params = {}) {
    int64_t changed = 0;
    auto result = Run(sql, params, &changed);
    if (!result.ok()) return result.status();
    return changed;
  }
  // Runs a SELECT and locks the rows it returns until the transaction ends,
  // so that no other transaction can change them meanwhile: `FOR UPDATE` on
  // PostgreSQL; on SQLite the write transaction already holds the database
  // write lock. Needs a kWrite transaction.
  virtual absl::StatusOr<ResultSet> QueryForUpdate(
      absl::string_view select, const Params& params = {}) = 0;
  // Runs `statements` in order and returns each one's rows, as Query (or
  // QueryForUpdate) would one by one, but in one round trip to PostgreSQL
  // (pipeline mode): for a transaction's statements that do not depend on
  // each other's results. The first failure stops the rest and is
  // returned; the transaction is then failed, as after a failed Query.
  virtual absl::StatusOr<std::vector<ResultSet>> QueryAll(
      const std::vector<Statement>& statements);
  // Appends `rows` to `table`, each row a value per column of `columns` (a
  // comma-separated list; values NULL, numbers or text, a blob is
  // INVALID_ARGUMENT). PostgreSQL takes them through COPY … FROM STDIN,
  // which plans nothing and evaluates no expression per value: the
  // cheapest way in for many rows. SQLite runs INSERTs of many rows.
  // Failures are as for Execute (ALREADY_EXISTS on a unique clash) and
  // fail the transaction.
  virtual absl::Status BulkInsert(absl::string_view table,
                                  absl::string_view columns,
                                  const std::vector<Params>& rows);
  // Appends `rows` as BulkInsert does, numbering them in `number_column`
  // from `sequence` (the column's own) in row order, and returns the
  // numbers in that order. The first of `columns` must be unique: rows
  // are told apart by it. PostgreSQL draws the numbers in one round trip
  // and COPYs the rows; SQLite INSERTs them RETURNING their numbers.
  virtual absl::StatusOr<std::vector<int64_t>> InsertNumbered(
      absl::string_view table, absl::string_view columns,
      std::vector<Params> rows, absl::string_view number_column,
      absl::string_view sequence);
  // Takes the lock named `key` until the transaction ends, if no other
  // transaction holds it; returns whether it did (never waits). For work
  // that one process at a time should do. PostgreSQL: an advisory lock;
  // SQLite: always true (a write transaction already excludes every
  // other writer).
  virtual absl::StatusOr<bool> TryLock(int64_t key) = 0;
  // Runs several statements without parameters (DDL, migrations).
  virtual absl::Status ExecuteScript(absl::string_view sql) = 0;

  // Makes the changes durable. After Commit or Rollback the transaction is
  // finished and every other call fails with FAILED_PRECONDITION.
  virtual absl::Status Commit() = 0;
  virtual absl::Status Rollback() = 0;

 protected:
  Transaction() = default;

  // The engine's one way to run a statement: binds `params`, returns the
  // rows, and stores the number of rows changed in *changed when given.
  virtual absl::StatusOr<ResultSet> Run(absl::string_view sql,
                                        const Params& params,
                                        int64_t* changed) = 0;
};

// For the engines' BulkInsert: INVALID_ARGUMENT unless each row has one
// value per column of `columns`.
absl::Status CheckBulkRows(absl::string_view columns,
                           const std::vector<Params>& rows);

// Tuning shared by both engines; URL parameters override.
struct DatabaseOptions {
  // SQLite reader connections; PostgreSQL pool size.
  int connections = 4;
  // How long to wait for a free connection (or, on SQLite, the writer).
  absl::Duration acquire_timeout = absl::Seconds(5);
  // SQLite busy timeout: how long to wait for another process's lock.
  absl::Duration busy_timeout = absl::Seconds(5);
  // PostgreSQL statement_timeout (0 = none) and lock_timeout (0 = none),
  // enforced by the server.
  absl::Duration statement_timeout = absl::Seconds(30);
  absl::Duration lock_timeout = absl::ZeroDuration();
  // PostgreSQL, on the client: the longest any one wait for the server may
  // take (a server that stopped answering enforces nothing), and the
  // longest opening a connection may take.
  absl::Duration call_timeout = absl::Seconds(35);
  absl::Duration connect_timeout = absl::Seconds(5);
};

class Database {
 public:
  // Opens by URL (see above). INVALID_ARGUMENT for a malformed URL,
  // UNAVAILABLE when the database cannot be opened or reached.
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      absl::string_view url, DatabaseOptions options = {});

  virtual ~Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  virtual Engine engine() const = 0;

  // Whether only this process writes the database, through one writer
  // at a time (SQLite: one process per file): work that elsewhere needs
  // a lock between processes needs none, and holding a write transaction
  // across a slow call would stall every other writer.
  virtual bool HasSingleWriter() const = 0;

  // Starts a transaction. UNAVAILABLE when no connection is free within the
  // acquire timeout or the database is down.
  virtual absl::StatusOr<std::unique_ptr<Transaction>> Begin(TxMode mode) = 0;

  // After personal data was erased from `tables`: removes what the old row
  // versions left in the database's files, outside any transaction. SQLite
  // (which zeroes freed space, secure_delete being set on every
  // connection) copies the write-ahead log into the database file and
  // truncates it, where the old page images stayed until a checkpoint;
  // PostgreSQL vacuums the tables, removing the dead row versions no open
  // transaction can see from them and their indexes (the freed space is
  // not overwritten, and WAL segments keep old images until recycled: see
  // the runbook).
  virtual absl::Status ScrubFreedSpace(
      const std::vector<std::string>& tables) = 0;

 protected:
  Database() = default;
};

// Runs `body` in a transaction and commits it; when the transaction fails
// with a conflict (IsTransactionConflict: a serialization failure or
// deadlock, or `body` returning TransactionConflictError because what it
// read moved) it is rolled back and run again, up to `max_attempts` times
// with a short jittered backoff. `body` must be safe to run again. Any
// other non-OK status, a plain ABORTED included, rolls back and is
// returned as it is.
absl::Status RunInTransaction(
    Database& db, TxMode mode,
    const std::function<absl::Status(Transaction&)>& body,
    int max_attempts = 5);

}  // namespace training::sql

#endif  // TRAINING_COMMON_SQL_DATABASE_H_
