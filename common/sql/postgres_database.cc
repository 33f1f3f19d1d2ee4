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
#include "common/sql/postgres_wire.h"
#include "common/sql/statement_cache.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/time/deadline.h"

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

// An open connection and the names of the statements prepared on it.
struct PostgresConnection {
  explicit PostgresConnection(PGconn* conn)
      : conn(conn),
        statements(kStatementsPerConnection, [this](std::string& name) {
          evicted.push_back(std::move(name));
        }) {}
  // The server forgets prepared statements with the session.
  ~PostgresConnection() { PQfinish(conn); }
  PGconn* const conn;
  int64_t prepared = 0;  // statements prepared so far: names them
  StatementCache<std::string> statements;
  // Let go of by the cache (only ever right after another was prepared,
  // so in a healthy transaction), still to DEALLOCATE.
  std::vector<std::string> evicted;
};

class PostgresDatabase;

// Every exchange with the server goes through postgres_wire.h, bounded by
// CallDeadline(): the thread's deadline when the transaction began, or
// call_timeout from the exchange's start, whichever comes first. A wire
// failure (the deadline passed, the connection dropped) leaves the
// connection mid-conversation: it is marked broken, every later call
// fails, and it is closed rather than pooled.
class PostgresTransaction final : public Transaction {
 public:
  Engine engine() const override { return Engine::kPostgres; }
  PostgresTransaction(PostgresDatabase* owner, PostgresConnection* connection,
                      absl::Time deadline, absl::Duration call_timeout)
      : owner_(owner),
        connection_(connection),
        conn_(connection->conn),
        deadline_(deadline),
        call_timeout_(call_timeout) {}
  ~PostgresTransaction() override;

  absl::StatusOr<ResultSet> QueryForUpdate(absl::string_view select,
                                           const Params& params) override {
    return Run(absl::StrCat(select, " FOR UPDATE"), params, nullptr);
  }
  absl::Status ExecuteScript(absl::string_view sql) override {
    RETURN_IF_ERROR(Usable());
    return SendAndCollect(std::string(sql), "script").status();
  }
  absl::Status Commit() override { return Finish("COMMIT"); }
  absl::Status Rollback() override { return Finish("ROLLBACK"); }

  absl::Status Begin(TxMode mode) {
    return SendAndCollect(mode == TxMode::kRead ? "BEGIN READ ONLY" : "BEGIN",
                          "begin")
        .status();
  }

  void MarkDone() { done_ = true; }
  bool broken() const { return broken_; }

 private:
  absl::Time CallDeadline() const {
    return std::min(deadline_, absl::Now() + call_timeout_);
  }

  absl::Status Usable() const {
    if (broken_) return absl::UnavailableError("postgres: connection lost");
    if (done_) {
      return absl::FailedPreconditionError("postgres: transaction finished");
    }
    return absl::OkStatus();
  }

  // A wire failure: the connection cannot be trusted any more.
  absl::Status Broken(absl::Status status) {
    broken_ = true;
    done_ = true;
    return status;
  }

  // Reads every result of what was sent last, to its end so that the
  // connection stays in step. Returns the first result, or the first SQL
  // error as a status.
  absl::StatusOr<postgres::ResultPtr> Collect(absl::Time deadline,
                                              absl::string_view what) {
    postgres::ResultPtr first(nullptr, PQclear);
    absl::Status failure = absl::OkStatus();
    while (true) {
      absl::StatusOr<postgres::ResultPtr> next =
          postgres::NextResult(conn_, deadline);
      if (!next.ok()) return Broken(next.status());
      if (*next == nullptr) break;
      const ExecStatusType s = PQresultStatus(next->get());
      if (failure.ok() && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        failure = StatusFromResult(conn_, next->get(), what);
      }
      if (first == nullptr) first = *std::move(next);
    }
    if (!failure.ok()) return failure;
    if (first == nullptr) {
      return absl::InternalError("postgres: a command returned no result");
    }
    return first;
  }

  // Sends `sql` (no parameters; several statements allowed) and collects.
  absl::StatusOr<postgres::ResultPtr> SendAndCollect(const std::string& sql,
                                                     absl::string_view what) {
    const absl::Time deadline = CallDeadline();
    if (PQsendQuery(conn_, sql.c_str()) != 1) {
      return Broken(absl::UnavailableError("postgres: connection lost"));
    }
    if (absl::Status sent = postgres::Flush(conn_, deadline); !sent.ok()) {
      return Broken(sent);
    }
    return Collect(deadline, what);
  }

  absl::Status Finish(const char* sql) {
    RETURN_IF_ERROR(Usable());
    absl::StatusOr<postgres::ResultPtr> result = SendAndCollect(sql, sql);
    done_ = true;
    if (!result.ok()) return result.status();
    if (std::string(sql) == "COMMIT" &&
        std::string(PQcmdStatus(result->get())) == "ROLLBACK") {
      // COMMIT of a transaction that had failed rolls back instead.
      return absl::AbortedError(
          "postgres: transaction had failed; rolled back");
    }
    return absl::OkStatus();
  }

  // DEALLOCATEs what the statement cache let go of.
  absl::Status DeallocateEvicted() {
    std::vector<std::string> evicted;
    evicted.swap(connection_->evicted);
    for (const std::string& name : evicted) {
      RETURN_IF_ERROR(
          SendAndCollect(absl::StrCat("DEALLOCATE ", name), "deallocate")
              .status());
    }
    return absl::OkStatus();
  }

  // Transaction:
  absl::StatusOr<ResultSet> Run(absl::string_view sql, const Params& params,
                                int64_t* changed) override {
    RETURN_IF_ERROR(Usable());
    const absl::Time start = absl::Now();
    const absl::Time deadline = CallDeadline();
    const std::string* name = connection_->statements.Find(sql);
    if (name == nullptr) {
      std::string fresh = absl::StrCat("training_", ++connection_->prepared);
      if (PQsendPrepare(conn_, fresh.c_str(), std::string(sql).c_str(),
                        static_cast<int>(params.size()), nullptr) != 1) {
        return Broken(absl::UnavailableError("postgres: connection lost"));
      }
      if (absl::Status sent = postgres::Flush(conn_, deadline); !sent.ok()) {
        return Broken(sent);
      }
      RETURN_IF_ERROR(Collect(deadline, "prepare").status());
      name = connection_->statements.Insert(std::string(sql), std::move(fresh));
      RETURN_IF_ERROR(DeallocateEvicted());
    }
    BoundParams bound(params);
    if (PQsendQueryPrepared(conn_, name->c_str(),
                            static_cast<int>(params.size()),
                            bound.values.data(), bound.lengths.data(),
                            bound.formats.data(), /*resultFormat=*/0) != 1) {
      return Broken(absl::UnavailableError("postgres: connection lost"));
    }
    if (absl::Status sent = postgres::Flush(conn_, deadline); !sent.ok()) {
      return Broken(sent);
    }
    ASSIGN_OR_RETURN(postgres::ResultPtr result, Collect(deadline, "query"));
    if (changed != nullptr) {
      int64_t n = 0;
      (void)absl::SimpleAtoi(PQcmdTuples(result.get()), &n);
      *changed = n;
    }
    QueryLatency().Observe({"postgres"},
                           absl::ToDoubleSeconds(absl::Now() - start));
    return ToResultSet(result.get());
  }

  absl::StatusOr<std::vector<ResultSet>> QueryAll(
      const std::vector<Statement>& statements) override {
    RETURN_IF_ERROR(Usable());
    if (statements.size() < 2) return Transaction::QueryAll(statements);
    const absl::Time start = absl::Now();
    const absl::Time deadline = CallDeadline();
    if (PQenterPipelineMode(conn_) != 1) {
      return Broken(absl::UnavailableError("postgres: pipeline refused"));
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
      return Broken(absl::UnavailableError("postgres: pipeline: lost"));
    }
    if (absl::Status flushed = postgres::Flush(conn_, deadline);
        !flushed.ok()) {
      return Broken(flushed);
    }
    // Each command's result, then a null; after a failure the rest come
    // back PIPELINE_ABORTED; the sync's result ends the pipeline.
    absl::Status failure = absl::OkStatus();
    std::vector<ResultSet> results(statements.size());
    std::vector<const Sent*> prepared;
    for (const Sent& s : sent) {
      absl::StatusOr<postgres::ResultPtr> result =
          postgres::NextResult(conn_, deadline);
      if (!result.ok()) return Broken(result.status());
      if (*result == nullptr) {
        return Broken(absl::UnavailableError("postgres: pipeline: missing"));
      }
      while (true) {  // to the command's end
        absl::StatusOr<postgres::ResultPtr> more =
            postgres::NextResult(conn_, deadline);
        if (!more.ok()) return Broken(more.status());
        if (*more == nullptr) break;
      }
      const ExecStatusType status = PQresultStatus(result->get());
      if (status == PGRES_PIPELINE_ABORTED) continue;
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        if (failure.ok()) {
          failure = StatusFromResult(conn_, result->get(),
                                     s.prepare ? "prepare" : "query");
        }
      } else if (s.prepare) {
        prepared.push_back(&s);
      } else {
        results[s.statement] = ToResultSet(result->get());
      }
    }
    absl::StatusOr<postgres::ResultPtr> sync =
        postgres::NextResult(conn_, deadline);
    if (!sync.ok()) return Broken(sync.status());
    if (*sync == nullptr ||
        PQresultStatus(sync->get()) != PGRES_PIPELINE_SYNC ||
        PQexitPipelineMode(conn_) != 1) {
      return Broken(absl::UnavailableError("postgres: pipeline: not in step"));
    }
    // Remembered only now: DEALLOCATE of what the cache lets go of cannot
    // run in pipeline mode. Protocol-level statements outlive a failed
    // transaction, so those prepared before a failure count too.
    for (const Sent* s : prepared) {
      connection_->statements.Insert(s->text, s->name);
    }
    QueryLatency().Observe({"postgres"},
                           absl::ToDoubleSeconds(absl::Now() - start));
    if (!failure.ok()) return failure;
    RETURN_IF_ERROR(DeallocateEvicted());
    return results;
  }

  // Two round trips: COPY answers before it takes data.
  absl::Status BulkInsert(absl::string_view table, absl::string_view columns,
                          const std::vector<Params>& rows) override {
    RETURN_IF_ERROR(Usable());
    RETURN_IF_ERROR(CheckBulkRows(columns, rows));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(const std::string data, CopyText(rows));
    const absl::Time start = absl::Now();
    const absl::Time deadline = CallDeadline();
    const std::string copy =
        absl::StrCat("COPY ", table, " (", columns, ") FROM STDIN");
    if (PQsendQuery(conn_, copy.c_str()) != 1) {
      return Broken(absl::UnavailableError("postgres: connection lost"));
    }
    if (absl::Status sent = postgres::Flush(conn_, deadline); !sent.ok()) {
      return Broken(sent);
    }
    absl::StatusOr<postgres::ResultPtr> started =
        postgres::NextResult(conn_, deadline);
    if (!started.ok()) return Broken(started.status());
    if (*started == nullptr ||
        PQresultStatus(started->get()) != PGRES_COPY_IN) {
      absl::Status refused = StatusFromResult(conn_, started->get(), "copy");
      // Read the command to its end; the refusal is what counts.
      absl::Status rest = Collect(deadline, "copy").status();
      if (broken_) return rest;
      return refused;
    }
    if (absl::Status put = postgres::PutCopyData(conn_, data, deadline);
        !put.ok()) {
      return Broken(put);
    }
    if (absl::Status end = postgres::PutCopyEnd(conn_, deadline); !end.ok()) {
      return Broken(end);
    }
    RETURN_IF_ERROR(Collect(deadline, "copy").status());
    QueryLatency().Observe({"postgres"},
                           absl::ToDoubleSeconds(absl::Now() - start));
    return absl::OkStatus();
  }

  PostgresDatabase* owner_;
  PostgresConnection* connection_;
  PGconn* conn_;
  const absl::Time deadline_;
  const absl::Duration call_timeout_;
  bool done_ = false;
  bool broken_ = false;
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
    auto conn = Acquire(absl::InfiniteFuture());
    if (!conn.ok()) return conn.status();
    Release(*conn, /*broken=*/false);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(TxMode mode) override {
    const absl::Time deadline = CurrentDeadline();
    auto conn = Acquire(deadline);
    if (!conn.ok()) return conn.status();
    auto tx = std::make_unique<PostgresTransaction>(this, *conn, deadline,
                                                    options_.call_timeout);
    absl::Status begun = tx->Begin(mode);
    if (!begun.ok() && !absl::IsDeadlineExceeded(begun) &&
        (tx->broken() || PQstatus((*conn)->conn) == CONNECTION_BAD)) {
      // The server dropped this idle connection (restart, failover,
      // pg_terminate_backend): nothing had run yet, so retry on a new one.
      tx->MarkDone();
      tx.reset();
      conn = Acquire(deadline);
      if (!conn.ok()) return conn.status();
      tx = std::make_unique<PostgresTransaction>(this, *conn, deadline,
                                                 options_.call_timeout);
      begun = tx->Begin(mode);
    }
    if (!begun.ok()) {
      tx->MarkDone();
      return begun;
    }
    return std::unique_ptr<Transaction>(std::move(tx));
  }

  void Release(PostgresConnection* connection, bool broken) {
    if (broken || PQstatus(connection->conn) != CONNECTION_OK ||
        PQtransactionStatus(connection->conn) != PQTRANS_IDLE) {
      delete connection;
      Reconnects().Add({});
      pool_.Forget();
      return;
    }
    pool_.Put(connection);
  }

 private:
  // A pooled connection (or a new one), waiting at most the acquire
  // timeout for one to be free and never past `deadline`.
  absl::StatusOr<PostgresConnection*> Acquire(absl::Time deadline) {
    const absl::Time start = absl::Now();
    const bool deadline_first = deadline < start + options_.acquire_timeout;
    PostgresConnection* conn = nullptr;
    const auto slot = pool_.Take(
        deadline_first ? deadline - start : options_.acquire_timeout, &conn);
    if (slot == pool::IdlePool<PostgresConnection*>::Slot::kTimedOut) {
      return deadline_first ? absl::DeadlineExceededError(
                                  "postgres: no connection free before the "
                                  "deadline")
                            : absl::UnavailableError(
                                  "postgres: no connection free in time");
    }
    AcquireWait().Observe({"postgres"},
                          absl::ToDoubleSeconds(absl::Now() - start));
    if (conn != nullptr && PQstatus(conn->conn) == CONNECTION_OK) return conn;
    if (conn != nullptr) {
      delete conn;
      Reconnects().Add({});
    }
    auto fresh = Connect(deadline);
    if (!fresh.ok()) {
      pool_.Forget();
      return fresh.status();
    }
    return *fresh;
  }

  absl::StatusOr<PostgresConnection*> Connect(absl::Time deadline) {
    const absl::Time by =
        std::min(deadline, absl::Now() + std::min(options_.connect_timeout,
                                                  options_.call_timeout));
    ASSIGN_OR_RETURN(PGconn * opened, postgres::OpenConnection(conninfo_, by));
    auto connection = std::make_unique<PostgresConnection>(opened);
    const std::string settings =
        absl::StrCat("SET statement_timeout = ",
                     absl::ToInt64Milliseconds(options_.statement_timeout),
                     "; SET lock_timeout = ",
                     absl::ToInt64Milliseconds(options_.lock_timeout));
    absl::Status configured =
        PQsendQuery(opened, settings.c_str()) == 1
            ? postgres::Flush(opened, by)
            : absl::UnavailableError("postgres: connection lost");
    while (configured.ok()) {
      absl::StatusOr<postgres::ResultPtr> result =
          postgres::NextResult(opened, by);
      if (!result.ok()) {
        configured = result.status();
      } else if (*result == nullptr) {
        break;
      } else if (PQresultStatus(result->get()) != PGRES_COMMAND_OK) {
        configured =
            absl::UnavailableError("postgres: cannot configure connection");
      }
    }
    if (!configured.ok()) return configured;
    return connection.release();
  }

  const std::string conninfo_;
  const DatabaseOptions options_;
  pool::IdlePool<PostgresConnection*> pool_;
};

PostgresTransaction::~PostgresTransaction() {
  if (!done_ && !broken_) {
    // A transaction dropped without Commit or Rollback rolls back; a
    // server that does not answer in time gets the connection closed
    // instead, which rolls back as well.
    if (!SendAndCollect("ROLLBACK", "rollback").ok()) broken_ = true;
  }
  owner_->Release(connection_, broken_);
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
