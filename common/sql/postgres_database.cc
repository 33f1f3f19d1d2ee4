#include "common/sql/postgres_database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/metrics/metrics.h"
#include "common/pool/idle_pool.h"
#include "common/sql/statement_cache.h"
#include "common/status/errors.h"
#include "common/status_macros.h"

namespace training::sql {
namespace {

// Type OIDs (pg_type.h), for typed results.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

metrics::HistogramFamily& QueryLatency() {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_sql_query_seconds", "SQL statement latency.", {"engine"});
  return family;
}

metrics::HistogramFamily& AcquireWait() {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_sql_acquire_seconds", "Time waiting for a database connection.",
      {"engine"});
  return family;
}

metrics::CounterFamily& Reconnects() {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_sql_reconnects_total",
      "Broken PostgreSQL connections replaced.", {});
  return family;
}

absl::Status StatusFromResult(PGconn* conn, const PGresult* result,
                              absl::string_view what) {
  const char* state =
      result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string detail;
  if (absl::StartsWith(sqlstate, "22")) {
    // Data exceptions quote the offending value: name the column only.
    const char* column = PQresultErrorField(result, PG_DIAG_COLUMN_NAME);
    detail = absl::StrCat("invalid value",
                          column ? absl::StrCat(" for ", column) : "");
  } else if (const char* primary =
                 result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)
                        : nullptr) {
    detail = primary;
  } else {
    detail = "connection failed";
  }
  const std::string message =
      absl::StrCat("postgres: ", what, ": ", detail,
                   sqlstate.empty() ? "" : absl::StrCat(" (", sqlstate, ")"));
  if (sqlstate == "23505") return absl::AlreadyExistsError(message);
  if (absl::StartsWith(sqlstate, "23"))
    return absl::FailedPreconditionError(message);
  // A serialisation failure or deadlock is worth running the transaction
  // again; a lock timeout (55P03) already waited as long as it was told to.
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return TransactionConflictError(message);
  }
  if (sqlstate == "55P03") return absl::AbortedError(message);
  if (sqlstate == "57014") return absl::DeadlineExceededError(message);
  if (absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "57P") ||
      PQstatus(conn) == CONNECTION_BAD) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

// "$1 … $n" need text values; blobs go as binary. Strings and blobs are
// passed where they are (`params` outlives the call); numbers are spelled
// out here.
struct BoundParams {
  std::vector<std::string> numbers;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;

  explicit BoundParams(const Params& params) {
    numbers.reserve(params.size());  // never moves: values point into it
    values.reserve(params.size());
    lengths.reserve(params.size());
    formats.reserve(params.size());
    for (const Value& v : params) {
      const std::string* text = nullptr;
      int format = 0;
      if (std::holds_alternative<std::monostate>(v)) {
        values.push_back(nullptr);
        lengths.push_back(0);
        formats.push_back(0);
        continue;
      } else if (const int64_t* n = std::get_if<int64_t>(&v)) {
        text = &numbers.emplace_back(absl::StrCat(*n));
      } else if (const double* d = std::get_if<double>(&v)) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", *d);
        text = &numbers.emplace_back(buffer);
      } else if (const std::string* s = std::get_if<std::string>(&v)) {
        text = s;
      } else {
        text = &std::get<Blob>(v).bytes;
        format = 1;
      }
      values.push_back(text->data());
      lengths.push_back(static_cast<int>(text->size()));
      formats.push_back(format);
    }
  }
};

Value ConvertValue(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return std::monostate{};
  const char* text = PQgetvalue(result, row, column);
  const int length = PQgetlength(result, row, column);
  switch (PQftype(result, column)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      int64_t n = 0;
      if (absl::SimpleAtoi(absl::string_view(text, length), &n)) return n;
      return std::string(text, length);
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      double d = 0;
      if (absl::SimpleAtod(absl::string_view(text, length), &d)) return d;
      return std::string(text, length);
    }
    case kBoolOid:
      return static_cast<int64_t>(text[0] == 't' ? 1 : 0);
    case kByteaOid: {
      size_t size = 0;
      unsigned char* bytes =
          PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size);
      Blob blob{std::string(reinterpret_cast<char*>(bytes), size)};
      PQfreemem(bytes);
      return blob;
    }
    default:
      return std::string(text, length);
  }
}

ResultSet ToResultSet(const PGresult* result) {
  std::vector<std::string> columns;
  const int ncols = PQnfields(result);
  for (int c = 0; c < ncols; ++c) columns.emplace_back(PQfname(result, c));
  std::vector<std::vector<Value>> rows;
  const int nrows = PQntuples(result);
  rows.reserve(nrows);
  for (int r = 0; r < nrows; ++r) {
    std::vector<Value> row;
    row.reserve(ncols);
    for (int c = 0; c < ncols; ++c) row.push_back(ConvertValue(result, r, c));
    rows.push_back(std::move(row));
  }
  return ResultSet(std::move(columns), std::move(rows));
}

// Prepared statements kept per connection (see SqliteConnection).
constexpr size_t kStatementsPerConnection = 200;

// An open connection and the names of the statements prepared on it. A
// statement let go of is deallocated at once: it is only let go of right
// after another was prepared, so the transaction is healthy.
struct PostgresConnection {
  explicit PostgresConnection(PGconn* conn)
      : conn(conn),
        statements(kStatementsPerConnection, [this](std::string& name) {
          if (closing) return;
          PQclear(
              PQexec(this->conn, absl::StrCat("DEALLOCATE ", name).c_str()));
        }) {}
  ~PostgresConnection() {
    closing = true;  // the server forgets them with the session
    statements.Clear();
    PQfinish(conn);
  }
  PGconn* const conn;
  bool closing = false;
  int64_t prepared = 0;  // statements prepared so far: names them
  StatementCache<std::string> statements;
};

class PostgresDatabase;

class PostgresTransaction final : public Transaction {
 public:
  Engine engine() const override { return Engine::kPostgres; }
  PostgresTransaction(PostgresDatabase* owner, PostgresConnection* connection)
      : owner_(owner), connection_(connection), conn_(connection->conn) {}
  ~PostgresTransaction() override;

  absl::StatusOr<ResultSet> QueryForUpdate(absl::string_view select,
                                           const Params& params) override {
    return Run(absl::StrCat(select, " FOR UPDATE"), params, nullptr);
  }
  absl::Status ExecuteScript(absl::string_view sql) override {
    if (done_)
      return absl::FailedPreconditionError("postgres: transaction finished");
    PGresult* result = PQexec(conn_, std::string(sql).c_str());
    absl::Status status = absl::OkStatus();
    const ExecStatusType s = PQresultStatus(result);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
      status = StatusFromResult(conn_, result, "script");
    }
    PQclear(result);
    return status;
  }
  absl::Status Commit() override { return Finish("COMMIT"); }
  absl::Status Rollback() override { return Finish("ROLLBACK"); }

  absl::Status Begin(TxMode mode) {
    return Simple(mode == TxMode::kRead ? "BEGIN READ ONLY" : "BEGIN", "begin");
  }

  void MarkDone() { done_ = true; }

 private:
  absl::Status Simple(const char* sql, const char* what) {
    PGresult* result = PQexec(conn_, sql);
    absl::Status status = PQresultStatus(result) == PGRES_COMMAND_OK
                              ? absl::OkStatus()
                              : StatusFromResult(conn_, result, what);
    PQclear(result);
    return status;
  }

  absl::Status Finish(const char* sql) {
    if (done_)
      return absl::FailedPreconditionError("postgres: transaction finished");
    done_ = true;
    PGresult* result = PQexec(conn_, sql);
    absl::Status status = absl::OkStatus();
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      status = StatusFromResult(conn_, result, sql);
    } else if (std::string(sql) == "COMMIT" &&
               std::string(PQcmdStatus(result)) == "ROLLBACK") {
      // COMMIT of a transaction that had failed rolls back instead.
      status =
          absl::AbortedError("postgres: transaction had failed; rolled back");
    }
    PQclear(result);
    return status;
  }

  // Transaction:
  absl::StatusOr<ResultSet> Run(absl::string_view sql, const Params& params,
                                int64_t* changed) override {
    if (done_)
      return absl::FailedPreconditionError("postgres: transaction finished");
    const absl::Time start = absl::Now();
    const std::string* name = connection_->statements.Find(sql);
    if (name == nullptr) {
      std::string fresh = absl::StrCat("training_", ++connection_->prepared);
      PGresult* prepared =
          PQprepare(conn_, fresh.c_str(), std::string(sql).c_str(),
                    static_cast<int>(params.size()), nullptr);
      std::unique_ptr<PGresult, void (*)(PGresult*)> prepared_guard(prepared,
                                                                    PQclear);
      if (PQresultStatus(prepared) != PGRES_COMMAND_OK) {
        return StatusFromResult(conn_, prepared, "prepare");
      }
      name = connection_->statements.Insert(std::string(sql), std::move(fresh));
    }
    BoundParams bound(params);
    PGresult* result = PQexecPrepared(
        conn_, name->c_str(), static_cast<int>(params.size()),
        bound.values.data(), bound.lengths.data(), bound.formats.data(),
        /*resultFormat=*/0);
    std::unique_ptr<PGresult, void (*)(PGresult*)> guard(result, PQclear);
    const ExecStatusType s = PQresultStatus(result);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
      return StatusFromResult(conn_, result, "query");
    }
    if (changed != nullptr) {
      int64_t n = 0;
      (void)absl::SimpleAtoi(PQcmdTuples(result), &n);
      *changed = n;
    }
    QueryLatency().Observe({"postgres"},
                           absl::ToDoubleSeconds(absl::Now() - start));
    return ToResultSet(result);
  }

  absl::StatusOr<std::vector<ResultSet>> QueryAll(
      const std::vector<Statement>& statements) override {
    if (done_)
      return absl::FailedPreconditionError("postgres: transaction finished");
    if (statements.size() < 2) return Transaction::QueryAll(statements);
    const absl::Time start = absl::Now();
    if (PQenterPipelineMode(conn_) != 1) {
      return StatusFromResult(conn_, nullptr, "pipeline");
    }
    // What was sent, in order: a statement not yet prepared on this
    // connection is prepared in the same round trip, before it runs.
    struct Sent {
      bool prepare;
      size_t statement;
      std::string text;
      std::string name;
    };
    std::vector<Sent> sent;
    std::map<std::string, std::string> preparing;  // text -> name
    bool sending = true;
    for (size_t i = 0; i < statements.size() && sending; ++i) {
      const Statement& statement = statements[i];
      std::string text = statement.for_update
                             ? absl::StrCat(statement.sql, " FOR UPDATE")
                             : statement.sql;
      std::string name;
      if (const std::string* cached = connection_->statements.Find(text)) {
        name = *cached;
      } else if (auto it = preparing.find(text); it != preparing.end()) {
        name = it->second;
      } else {
        name = absl::StrCat("training_", ++connection_->prepared);
        sending = PQsendPrepare(conn_, name.c_str(), text.c_str(),
                                static_cast<int>(statement.params.size()),
                                nullptr) == 1;
        preparing[text] = name;
        sent.push_back({true, i, text, name});
      }
      BoundParams bound(statement.params);
      sending = sending && PQsendQueryPrepared(
                               conn_, name.c_str(),
                               static_cast<int>(statement.params.size()),
                               bound.values.data(), bound.lengths.data(),
                               bound.formats.data(), /*resultFormat=*/0) == 1;
      sent.push_back({false, i, std::move(text), std::move(name)});
    }
    if (!sending || PQpipelineSync(conn_) != 1) {
      // The connection is broken: it is dropped when released.
      done_ = true;
      return absl::UnavailableError("postgres: pipeline: connection failed");
    }
    // Each command's result, then a null; after a failure the rest come
    // back PIPELINE_ABORTED; the sync's result ends the pipeline.
    absl::Status failure = absl::OkStatus();
    std::vector<ResultSet> results(statements.size());
    std::vector<const Sent*> prepared;
    for (const Sent& s : sent) {
      std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQgetResult(conn_),
                                                            PQclear);
      if (result == nullptr) {
        done_ = true;
        return absl::UnavailableError("postgres: pipeline: results missing");
      }
      while (PGresult* more = PQgetResult(conn_)) PQclear(more);
      const ExecStatusType status = PQresultStatus(result.get());
      if (status == PGRES_PIPELINE_ABORTED) continue;
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        if (failure.ok()) {
          failure = StatusFromResult(conn_, result.get(),
                                     s.prepare ? "prepare" : "query");
        }
      } else if (s.prepare) {
        prepared.push_back(&s);
      } else {
        results[s.statement] = ToResultSet(result.get());
      }
    }
    std::unique_ptr<PGresult, void (*)(PGresult*)> sync(PQgetResult(conn_),
                                                        PQclear);
    if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC ||
        PQexitPipelineMode(conn_) != 1) {
      done_ = true;
      return absl::UnavailableError("postgres: pipeline: not in step");
    }
    // Remembered only now: the cache's eviction runs DEALLOCATE, which
    // pipeline mode does not allow. Protocol-level statements outlive a
    // failed transaction, so those prepared before a failure count too.
    for (const Sent* s : prepared) {
      connection_->statements.Insert(s->text, s->name);
    }
    QueryLatency().Observe({"postgres"},
                           absl::ToDoubleSeconds(absl::Now() - start));
    if (!failure.ok()) return failure;
    return results;
  }

  // Two round trips: COPY answers before it takes data.
  absl::Status BulkInsert(absl::string_view table, absl::string_view columns,
                          const std::vector<Params>& rows) override {
    if (done_)
      return absl::FailedPreconditionError("postgres: transaction finished");
    RETURN_IF_ERROR(CheckBulkRows(columns, rows));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(const std::string data, CopyText(rows));
    const absl::Time start = absl::Now();
    const std::string copy =
        absl::StrCat("COPY ", table, " (", columns, ") FROM STDIN");
    std::unique_ptr<PGresult, void (*)(PGresult*)> started(
        PQexec(conn_, copy.c_str()), PQclear);
    if (PQresultStatus(started.get()) != PGRES_COPY_IN) {
      return StatusFromResult(conn_, started.get(), "copy");
    }
    // libpq takes at most INT_MAX bytes a call.
    constexpr size_t kChunk = size_t{1} << 20;
    bool sent = true;
    for (size_t at = 0; at < data.size() && sent; at += kChunk) {
      const size_t n = std::min(kChunk, data.size() - at);
      sent = PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) == 1;
    }
    if (!sent || PQputCopyEnd(conn_, nullptr) != 1) {
      done_ = true;  // the connection is dropped when released
      return absl::UnavailableError("postgres: copy: connection failed");
    }
    std::unique_ptr<PGresult, void (*)(PGresult*)> ended(PQgetResult(conn_),
                                                         PQclear);
    while (PGresult* more = PQgetResult(conn_)) PQclear(more);
    if (PQresultStatus(ended.get()) != PGRES_COMMAND_OK) {
      return StatusFromResult(conn_, ended.get(), "copy");
    }
    QueryLatency().Observe({"postgres"},
                           absl::ToDoubleSeconds(absl::Now() - start));
    return absl::OkStatus();
  }

  PostgresDatabase* owner_;
  PostgresConnection* connection_;
  PGconn* conn_;
  bool done_ = false;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string conninfo, DatabaseOptions options)
      : conninfo_(std::move(conninfo)),
        options_(options),
        pool_(options.connections) {}

  ~PostgresDatabase() override {
    for (PostgresConnection* c : pool_.TakeAllIdle()) delete c;
  }

  Engine engine() const override { return Engine::kPostgres; }

  absl::Status Check() {
    auto conn = Acquire();
    if (!conn.ok()) return conn.status();
    Release(*conn);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(TxMode mode) override {
    auto conn = Acquire();
    if (!conn.ok()) return conn.status();
    auto tx = std::make_unique<PostgresTransaction>(this, *conn);
    absl::Status begun = tx->Begin(mode);
    if (!begun.ok() && PQstatus((*conn)->conn) == CONNECTION_BAD) {
      // The server dropped this idle connection (restart, failover,
      // pg_terminate_backend): nothing had run yet, so retry on a new one.
      tx->MarkDone();
      tx.reset();
      conn = Acquire();
      if (!conn.ok()) return conn.status();
      tx = std::make_unique<PostgresTransaction>(this, *conn);
      begun = tx->Begin(mode);
    }
    if (!begun.ok()) {
      tx->MarkDone();
      return begun;
    }
    return std::unique_ptr<Transaction>(std::move(tx));
  }

  void Release(PostgresConnection* connection) {
    if (PQstatus(connection->conn) != CONNECTION_OK ||
        PQtransactionStatus(connection->conn) != PQTRANS_IDLE) {
      delete connection;
      Reconnects().Add({});
      pool_.Forget();
      return;
    }
    pool_.Put(connection);
  }

 private:
  absl::StatusOr<PostgresConnection*> Acquire() {
    const absl::Time start = absl::Now();
    PostgresConnection* conn = nullptr;
    const auto slot = pool_.Take(options_.acquire_timeout, &conn);
    if (slot == pool::IdlePool<PostgresConnection*>::Slot::kTimedOut) {
      return absl::UnavailableError("postgres: no connection free in time");
    }
    AcquireWait().Observe({"postgres"},
                          absl::ToDoubleSeconds(absl::Now() - start));
    if (conn != nullptr && PQstatus(conn->conn) == CONNECTION_OK) return conn;
    if (conn != nullptr) {
      delete conn;
      Reconnects().Add({});
    }
    auto fresh = Connect();
    if (!fresh.ok()) {
      pool_.Forget();
      return fresh.status();
    }
    return *fresh;
  }

  absl::StatusOr<PostgresConnection*> Connect() {
    PGconn* conn = PQconnectdb(conninfo_.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      PQfinish(conn);
      // libpq's message can carry the host and user, never row data.
      return absl::UnavailableError("postgres: cannot connect");
    }
    // NOTICEs ("relation already exists, skipping") would go to stderr as
    // free text and break one-JSON-object-per-line logs.
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    const std::string settings =
        absl::StrCat("SET statement_timeout = ",
                     absl::ToInt64Milliseconds(options_.statement_timeout),
                     "; SET lock_timeout = ",
                     absl::ToInt64Milliseconds(options_.lock_timeout));
    PGresult* result = PQexec(conn, settings.c_str());
    const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    if (!ok) {
      PQfinish(conn);
      return absl::UnavailableError("postgres: cannot configure connection");
    }
    return new PostgresConnection(conn);
  }

  const std::string conninfo_;
  const DatabaseOptions options_;
  pool::IdlePool<PostgresConnection*> pool_;
};

PostgresTransaction::~PostgresTransaction() {
  if (!done_) {
    PGresult* result = PQexec(conn_, "ROLLBACK");
    PQclear(result);
  }
  owner_->Release(connection_);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(
    const std::string& conninfo, const DatabaseOptions& options) {
  auto db = std::make_unique<PostgresDatabase>(conninfo, options);
  absl::Status status = db->Check();
  if (!status.ok()) return status;
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace training::sql
