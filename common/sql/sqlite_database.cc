#include "common/sql/sqlite_database.h"

#include <sqlite3.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/metrics/metrics.h"
#include "common/pool/idle_pool.h"
#include "common/sql/pool_metrics.h"
#include "common/sql/statement_cache.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/time/deadline.h"

namespace training::sql {
namespace {

absl::Mutex observer_mu;
std::function<void()>* busy_observer ABSL_GUARDED_BY(observer_mu) = nullptr;

metrics::CounterFamily& BusyWaits() {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_sql_busy_waits_total",
      "Times a SQLite connection waited for another process's lock.", {});
  return family;
}

absl::Status StatusFromSqlite(sqlite3* db, int rc, absl::string_view what) {
  const int primary = rc & 0xff;
  // sqlite3_errmsg names tables and columns ("UNIQUE constraint failed:
  // t.email"), never values.
  const std::string message = absl::StrCat(
      "sqlite: ", what, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (primary) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE ||
          rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(message);
      }
      return absl::FailedPreconditionError(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      // A read transaction's snapshot went stale under a write: run it
      // again. Other lock waits already lasted the busy timeout.
      if (rc == SQLITE_BUSY_SNAPSHOT) return TransactionConflictError(message);
      // The busy handler gave up at the caller's deadline.
      if (absl::Now() >= CurrentDeadline()) {
        return absl::DeadlineExceededError(message);
      }
      return absl::AbortedError(message);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_READONLY:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

// Waits with growing sleeps until the busy timeout, reporting each wait.
int BusyHandler(void* timeout_ms_ptr, int count) {
  const int timeout_ms = *static_cast<int*>(timeout_ms_ptr);
  BusyWaits().Add({});
  {
    absl::MutexLock lock(&observer_mu);
    if (busy_observer != nullptr) (*busy_observer)();
  }
  // 1, 2, 4 … 32 ms, then 32 ms steps; the total approximates the timeout.
  // Never past the caller's deadline: it has stopped waiting for us.
  const int delay = count < 5 ? (1 << count) : 32;
  const int waited = count < 5 ? (1 << count) - 1 : 31 + (count - 5) * 32;
  if (waited >= timeout_ms || absl::Now() >= CurrentDeadline()) return 0;
  sqlite3_sleep(delay);
  return 1;
}

// A statement prepared with plain `?` placeholders, and the parameter each
// stands for (see PositionalPlaceholders).
struct Prepared {
  sqlite3_stmt* stmt = nullptr;
  std::vector<int> params;  // 0-based index into Params, per `?`
  size_t distinct = 0;      // how many different parameters it uses
  int highest = -1;         // the highest parameter index it uses
};

// Statements kept per connection. A batch statement has one shape per
// batch size (up to a few hundred); the least used shapes are prepared
// again when needed.
constexpr size_t kStatementsPerConnection = 200;

// An open connection and its prepared statements.
struct SqliteConnection {
  explicit SqliteConnection(sqlite3* db)
      : db(db), statements(kStatementsPerConnection, [](Prepared& p) {
          sqlite3_finalize(p.stmt);
        }) {}
  ~SqliteConnection() {
    statements.Clear();
    sqlite3_close_v2(db);
  }
  sqlite3* const db;
  StatementCache<Prepared> statements;
};

class SqliteDatabase;

class SqliteTransaction final : public Transaction {
 public:
  Engine engine() const override { return Engine::kSqlite; }
  absl::StatusOr<bool> TryLock(int64_t) override { return true; }
  SqliteTransaction(SqliteDatabase* owner, SqliteConnection* conn, bool writer)
      : owner_(owner), conn_(conn), db_(conn->db), writer_(writer) {}
  ~SqliteTransaction() override;

  absl::StatusOr<ResultSet> QueryForUpdate(absl::string_view select,
                                           const Params& params) override {
    if (!writer_) {
      return absl::InternalError(
          "sqlite: QueryForUpdate needs a write transaction");
    }
    // BEGIN IMMEDIATE already holds the database write lock.
    return Run(select, params, nullptr);
  }
  absl::Status ExecuteScript(absl::string_view sql) override {
    if (done_)
      return absl::FailedPreconditionError("sqlite: transaction finished");
    const int rc =
        sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return StatusFromSqlite(db_, rc, "script");
    return absl::OkStatus();
  }
  absl::Status Commit() override { return Finish("COMMIT"); }
  absl::Status Rollback() override { return Finish("ROLLBACK"); }

  absl::Status Begin() {
    const char* sql = writer_ ? "BEGIN IMMEDIATE" : "BEGIN";
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      done_ = true;
      return StatusFromSqlite(db_, rc, "begin");
    }
    return absl::OkStatus();
  }

 private:
  // Transaction:
  absl::StatusOr<ResultSet> Run(absl::string_view sql, const Params& params,
                                int64_t* changes) override;
  absl::Status Finish(const char* sql) {
    if (done_)
      return absl::FailedPreconditionError("sqlite: transaction finished");
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      absl::Status status = StatusFromSqlite(db_, rc, sql);
      // A failed COMMIT leaves the transaction open: roll it back.
      if (!sqlite3_get_autocommit(db_)) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      }
      done_ = true;
      return status;
    }
    done_ = true;
    return absl::OkStatus();
  }

  // The connection's statement for `sql`, prepared on first use.
  absl::StatusOr<Prepared*> Prepare(absl::string_view sql);

  SqliteDatabase* owner_;
  SqliteConnection* conn_;
  sqlite3* db_;
  const bool writer_;
  bool done_ = false;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, DatabaseOptions options)
      : path_(std::move(path)),
        options_(options),
        busy_timeout_ms_(
            static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout))) {
  }

  ~SqliteDatabase() override {
    for (SqliteConnection* c : writer_.TakeAllIdle()) delete c;
    for (SqliteConnection* c : readers_.TakeAllIdle()) delete c;
  }

  absl::Status Init() {
    auto writer = Take(writer_, "writer connection busy");
    if (!writer.ok()) return writer.status();
    // The writer goes back to its pool of one whatever happens below.
    struct Return {
      SqliteDatabase* db;
      SqliteConnection* conn;
      ~Return() { db->writer_.Put(conn); }
    } give_back{this, *writer};
    sqlite3* const writer_db = (*writer)->db;
    // WAL lets readers run beside the writer; FULL makes a commit durable
    // before it returns.
    // Switching to WAL needs a moment of exclusive access and does not call
    // the busy handler: when another process is opening the same file at
    // the same time, retry until the busy timeout.
    const absl::Time give_up = absl::Now() + options_.busy_timeout;
    // A bigger page cache and fewer, larger checkpoints: a flash crowd's
    // batch dirties index pages all over the tables, and with the defaults
    // (2 MiB of cache, a checkpoint every 1,000 WAL pages) the committing
    // thread re-reads evicted pages and copies the WAL into the file every
    // other batch. 10,000 pages coalesce many batches' writes of the same
    // pages into one.
    for (const char* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
          "PRAGMA cache_size=-65536", "PRAGMA wal_autocheckpoint=10000"}) {
      int rc;
      while ((rc = sqlite3_exec(writer_db, pragma, nullptr, nullptr,
                                nullptr)) == SQLITE_BUSY &&
             absl::Now() < give_up) {
        absl::SleepFor(absl::Milliseconds(5));
      }
      if (rc != SQLITE_OK) return StatusFromSqlite(writer_db, rc, pragma);
    }
    return absl::OkStatus();
  }

  Engine engine() const override { return Engine::kSqlite; }
  bool HasSingleWriter() const override { return true; }

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(TxMode mode) override {
    const absl::Time start = absl::Now();
    const bool writer = mode == TxMode::kWrite;
    auto db = writer ? Take(writer_, "writer connection busy")
                     : Take(readers_, "no reader connection free");
    if (!db.ok()) return db.status();
    RecordAcquireWait(Engine::kSqlite, absl::Now() - start);
    auto tx = std::make_unique<SqliteTransaction>(this, *db, writer);
    absl::Status begun = tx->Begin();
    if (!begun.ok()) return begun;
    return std::unique_ptr<Transaction>(std::move(tx));
  }

  absl::Status ScrubFreedSpace(const std::vector<std::string>&) override {
    auto writer = Take(writer_, "writer connection busy");
    if (!writer.ok()) return writer.status();
    sqlite3* const db = (*writer)->db;
    // TRUNCATE waits (through the busy handler) for readers of older
    // snapshots, copies every frame into the file and empties the log.
    int log_frames = 0, checkpointed = 0;
    const int rc = sqlite3_wal_checkpoint_v2(
        db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &checkpointed);
    absl::Status status = absl::OkStatus();
    if (rc == SQLITE_BUSY) {
      status = absl::UnavailableError(
          "sqlite: the write-ahead log could not be emptied: readers held "
          "old snapshots past the busy timeout");
    } else if (rc != SQLITE_OK) {
      status = StatusFromSqlite(db, rc, "wal_checkpoint");
    }
    writer_.Put(*writer);
    return status;
  }

  void Release(SqliteConnection* conn, bool writer) {
    (writer ? writer_ : readers_).Put(conn);
  }

 private:
  // An idle connection from `pool`, or a new one when it has room.
  absl::StatusOr<SqliteConnection*> Take(
      pool::IdlePool<SqliteConnection*>& pool, const char* busy) {
    SqliteConnection* conn = nullptr;
    const absl::Duration until_deadline = CurrentDeadline() - absl::Now();
    const bool deadline_first = until_deadline < options_.acquire_timeout;
    switch (pool.Take(
        deadline_first ? until_deadline : options_.acquire_timeout, &conn)) {
      case pool::IdlePool<SqliteConnection*>::Slot::kTimedOut:
        RecordAcquireTimeout(Engine::kSqlite);
        if (deadline_first) {
          return absl::DeadlineExceededError(
              absl::StrCat("sqlite: ", busy, " until the deadline"));
        }
        return absl::UnavailableError(absl::StrCat("sqlite: ", busy));
      case pool::IdlePool<SqliteConnection*>::Slot::kIdle:
        return conn;
      case pool::IdlePool<SqliteConnection*>::Slot::kNew:
        break;
    }
    auto opened = Connect();
    if (!opened.ok()) pool.Forget();
    return opened;
  }

  absl::StatusOr<SqliteConnection*> Connect() {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(
        path_.c_str(), &db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
        nullptr);
    if (rc != SQLITE_OK) {
      absl::Status status = StatusFromSqlite(db, rc, "open");
      sqlite3_close_v2(db);
      return absl::UnavailableError(status.message());
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_handler(db, BusyHandler, &busy_timeout_ms_);
    sqlite3_exec(db, "PRAGMA foreign_keys=ON", nullptr, nullptr, nullptr);
    // Freed space is zeroed, so that deleted or overwritten personal data
    // does not linger in free pages: set here rather than trusted to the
    // build's default (Debian's is on; SQLite's own is off).
    if (int secure = sqlite3_exec(db, "PRAGMA secure_delete=ON", nullptr,
                                  nullptr, nullptr);
        secure != SQLITE_OK) {
      absl::Status status = StatusFromSqlite(db, secure, "secure_delete");
      sqlite3_close_v2(db);
      return absl::UnavailableError(status.message());
    }
    // Temporary data in memory: a multi-row INSERT keeps a statement
    // journal (the pages it changed, to undo it alone if a row fails),
    // which otherwise goes to a temporary file once past 64 KiB; a batch of
    // 200 bookings wrote megabytes there with one pwrite per page.
    sqlite3_exec(db, "PRAGMA temp_store=MEMORY", nullptr, nullptr, nullptr);
    return new SqliteConnection(db);
  }

  const std::string path_;
  const DatabaseOptions options_;
  int busy_timeout_ms_;
  // One writer connection per process (several starve each other), and
  // the readers.
  pool::IdlePool<SqliteConnection*> writer_{1};
  pool::IdlePool<SqliteConnection*> readers_{options_.connections};
};

SqliteTransaction::~SqliteTransaction() {
  if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  static_cast<SqliteDatabase*>(owner_)->Release(conn_, writer_);
}

// `$N` placeholders rewritten as plain `?`, in text order, with the
// parameter each stands for. To SQLite `$N` (and even `?N`) is looked up in
// a linear list of names at prepare and bind time, which made a
// 2,000-parameter batch insert spend most of its time in strncmp; plain `?`
// is numbered by position. Quoted text is left alone.
struct Positional {
  std::string sql;
  std::vector<int> params;  // 0-based index into Params, per `?`
};
Positional PositionalPlaceholders(absl::string_view sql) {
  Positional out;
  out.sql.reserve(sql.size());
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' &&
               sql[i + 1] <= '9') {
      int n = 0;
      while (i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
        n = n * 10 + (sql[++i] - '0');
      }
      out.sql.push_back('?');
      out.params.push_back(n - 1);
      continue;
    }
    out.sql.push_back(c);
  }
  return out;
}

absl::StatusOr<Prepared*> SqliteTransaction::Prepare(absl::string_view sql) {
  if (Prepared* cached = conn_->statements.Find(sql)) return cached;
  Positional positional = PositionalPlaceholders(sql);
  Prepared prepared;
  const int rc = sqlite3_prepare_v2(db_, positional.sql.data(),
                                    static_cast<int>(positional.sql.size()),
                                    &prepared.stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(prepared.stmt);
    return StatusFromSqlite(db_, rc, "prepare");
  }
  prepared.params = std::move(positional.params);
  std::vector<int> distinct = prepared.params;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  prepared.distinct = distinct.size();
  prepared.highest = distinct.empty() ? -1 : distinct.back();
  return conn_->statements.Insert(std::string(sql), std::move(prepared));
}

absl::StatusOr<ResultSet> SqliteTransaction::Run(absl::string_view sql,
                                                 const Params& params,
                                                 int64_t* changes) {
  if (done_)
    return absl::FailedPreconditionError("sqlite: transaction finished");
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(Prepared * prepared, Prepare(sql));
  if (prepared->highest >= static_cast<int>(params.size())) {
    return absl::InternalError(
        absl::StrCat("sqlite: statement uses parameter $",
                     prepared->highest + 1, ", ", params.size(), " given"));
  }
  if (prepared->distinct != params.size()) {
    return absl::InternalError(absl::StrCat(
        "sqlite: statement does not use all ", params.size(), " parameters"));
  }
  sqlite3_stmt* stmt = prepared->stmt;
  // Back to its initial state after each use, whatever happens: a
  // statement left mid-way would hold its read of the database open.
  struct Reset {
    sqlite3_stmt* stmt;
    ~Reset() {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
  } reset{stmt};
  // SQLITE_STATIC: the values outlive the statement's use, which ends with
  // `reset` above, so SQLite need not copy them.
  int rc = SQLITE_OK;
  for (size_t k = 0; k < prepared->params.size(); ++k) {
    const int index = static_cast<int>(k + 1);
    const size_t i = prepared->params[k];
    const Value& v = params[i];
    if (std::holds_alternative<std::monostate>(v)) {
      rc = sqlite3_bind_null(stmt, index);
    } else if (const int64_t* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (const double* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const std::string* s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_STATIC,
                               SQLITE_UTF8);
    } else {
      const Blob& b = std::get<Blob>(v);
      rc = sqlite3_bind_blob64(stmt, index, b.bytes.data(), b.bytes.size(),
                               SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) return StatusFromSqlite(db_, rc, "bind");
  }
  std::vector<std::string> columns;
  const int column_count = sqlite3_column_count(stmt);
  for (int c = 0; c < column_count; ++c)
    columns.emplace_back(sqlite3_column_name(stmt, c));
  std::vector<std::vector<Value>> rows;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<Value> row;
    row.reserve(column_count);
    for (int c = 0; c < column_count; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT:
          row.emplace_back(sqlite3_column_double(stmt, c));
          break;
        case SQLITE_TEXT:
          row.emplace_back(std::string(
              reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
              sqlite3_column_bytes(stmt, c)));
          break;
        case SQLITE_BLOB: {
          const void* data = sqlite3_column_blob(stmt, c);
          row.emplace_back(Blob{std::string(static_cast<const char*>(data),
                                            sqlite3_column_bytes(stmt, c))});
          break;
        }
        default:
          row.emplace_back(std::monostate{});
      }
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return StatusFromSqlite(db_, rc, "step");
  if (changes != nullptr) *changes = sqlite3_changes64(db_);
  RecordQuery(Engine::kSqlite, absl::Now() - start);
  return ResultSet(std::move(columns), std::move(rows));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(
    const std::string& path, const DatabaseOptions& options) {
  auto db = std::make_unique<SqliteDatabase>(path, options);
  absl::Status status = db->Init();
  if (!status.ok()) return status;
  return std::unique_ptr<Database>(std::move(db));
}

void SetSqliteBusyObserverForTest(std::function<void()> observer) {
  absl::MutexLock lock(&observer_mu);
  delete busy_observer;
  busy_observer =
      observer ? new std::function<void()>(std::move(observer)) : nullptr;
}

}  // namespace training::sql
