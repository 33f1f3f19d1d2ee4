#include "common/sql/postgres_transaction.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/sql/pool_metrics.h"
#include "common/sql/postgres_values.h"
#include "common/sql/postgres_wire.h"
#include "common/status_macros.h"

namespace training::sql::postgres {
namespace {

// Every exchange with the server goes through postgres_wire.h, bounded by
// CallDeadline(): the thread's deadline when the transaction began, or
// call_timeout from the exchange's start, whichever comes first. A wire
// failure (the deadline passed, the connection dropped) leaves the
// connection mid-conversation: it is marked broken, every later call
// fails, and it is closed rather than pooled.
class PostgresTransaction final : public Transaction {
 public:
  Engine engine() const override { return Engine::kPostgres; }
  PostgresTransaction(ConnectionOwner* owner, PostgresConnection* connection,
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

  absl::StatusOr<bool> TryLock(int64_t key) override {
    ASSIGN_OR_RETURN(ResultSet rows,
                     Query("SELECT CASE WHEN pg_try_advisory_xact_lock($1) "
                           "THEN 1 ELSE 0 END AS locked",
                           {key}));
    ASSIGN_OR_RETURN(int64_t locked, rows.GetInt64(0, "locked"));
    return locked != 0;
  }

  // The numbers drawn in one round trip, then COPY (no plan, no expression
  // per value: a third of the cost per row of an INSERT from arrays in the
  // flash-crowd benchmark). They go out in row order, as the column's
  // default would hand them.
  absl::StatusOr<std::vector<int64_t>> InsertNumbered(
      absl::string_view table, absl::string_view columns,
      std::vector<Params> rows, absl::string_view number_column,
      absl::string_view sequence) override {
    RETURN_IF_ERROR(CheckBulkRows(columns, rows));
    if (rows.empty()) return std::vector<int64_t>();
    ASSIGN_OR_RETURN(ResultSet drawn,
                     Query(absl::StrCat("SELECT nextval('", sequence,
                                        "') AS n FROM generate_series(1, $1)"),
                           {static_cast<int64_t>(rows.size())}));
    if (drawn.size() != rows.size()) {
      return absl::InternalError(
          absl::StrCat(table, ": sequence numbers missing"));
    }
    std::vector<int64_t> numbers(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(numbers[i], drawn.GetInt64(i, "n"));
    }
    std::sort(numbers.begin(), numbers.end());
    for (size_t i = 0; i < rows.size(); ++i) {
      // Through a range insert: GCC 12 warns (falsely) of an
      // uninitialised string when a Value temporary is pushed here.
      const Value number[] = {numbers[i]};
      rows[i].insert(rows[i].end(), std::begin(number), std::end(number));
    }
    RETURN_IF_ERROR(
        BulkInsert(table, absl::StrCat(columns, ", ", number_column), rows));
    return numbers;
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

  // Nothing is sent once the deadline has passed: the connection stays in
  // step (and in the pool), the caller hears why.
  static absl::Status InTime(absl::Time deadline) {
    if (absl::Now() < deadline) return absl::OkStatus();
    return absl::DeadlineExceededError(
        "postgres: the deadline passed before the call");
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
  absl::StatusOr<ResultPtr> Collect(absl::Time deadline,
                                    absl::string_view what) {
    ResultPtr first(nullptr, PQclear);
    absl::Status failure = absl::OkStatus();
    while (true) {
      absl::StatusOr<ResultPtr> next = NextResult(conn_, deadline);
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
  absl::StatusOr<ResultPtr> SendAndCollect(const std::string& sql,
                                           absl::string_view what) {
    const absl::Time deadline = CallDeadline();
    RETURN_IF_ERROR(InTime(deadline));
    if (PQsendQuery(conn_, sql.c_str()) != 1) {
      return Broken(absl::UnavailableError("postgres: connection lost"));
    }
    if (absl::Status sent = Flush(conn_, deadline); !sent.ok()) {
      return Broken(sent);
    }
    return Collect(deadline, what);
  }

  absl::Status Finish(const char* sql) {
    RETURN_IF_ERROR(Usable());
    absl::StatusOr<ResultPtr> result = SendAndCollect(sql, sql);
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
    RETURN_IF_ERROR(InTime(deadline));
    const std::string* name = connection_->statements.Find(sql);
    if (name == nullptr) {
      std::string fresh = absl::StrCat("training_", ++connection_->prepared);
      if (PQsendPrepare(conn_, fresh.c_str(), std::string(sql).c_str(),
                        static_cast<int>(params.size()), nullptr) != 1) {
        return Broken(absl::UnavailableError("postgres: connection lost"));
      }
      if (absl::Status sent = Flush(conn_, deadline); !sent.ok()) {
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
    if (absl::Status sent = Flush(conn_, deadline); !sent.ok()) {
      return Broken(sent);
    }
    ASSIGN_OR_RETURN(ResultPtr result, Collect(deadline, "query"));
    if (changed != nullptr) {
      int64_t n = 0;
      (void)absl::SimpleAtoi(PQcmdTuples(result.get()), &n);
      *changed = n;
    }
    RecordQuery(Engine::kPostgres, absl::Now() - start);
    return ToResultSet(result.get());
  }

  absl::StatusOr<std::vector<ResultSet>> QueryAll(
      const std::vector<Statement>& statements) override {
    RETURN_IF_ERROR(Usable());
    if (statements.size() < 2) return Transaction::QueryAll(statements);
    const absl::Time start = absl::Now();
    const absl::Time deadline = CallDeadline();
    RETURN_IF_ERROR(InTime(deadline));
    std::vector<Sent> sent;
    RETURN_IF_ERROR(SendPipelined(statements, deadline, sent));
    std::vector<ResultSet> results(statements.size());
    absl::Status failure = ReadPipelined(sent, deadline, results);
    if (broken_) return failure;
    RecordQuery(Engine::kPostgres, absl::Now() - start);
    if (!failure.ok()) return failure;
    RETURN_IF_ERROR(DeallocateEvicted());
    return results;
  }

  // What a pipeline sent, in order: a statement not yet prepared on this
  // connection is prepared in the same round trip, before it runs.
  struct Sent {
    bool prepare;
    size_t statement;
    std::string text;
    std::string name;
  };

  // Sends `statements` in pipeline mode, then the sync, and flushes.
  absl::Status SendPipelined(const std::vector<Statement>& statements,
                             absl::Time deadline, std::vector<Sent>& sent) {
    if (PQenterPipelineMode(conn_) != 1) {
      return Broken(absl::UnavailableError("postgres: pipeline refused"));
    }
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
    if (absl::Status flushed = Flush(conn_, deadline); !flushed.ok()) {
      return Broken(flushed);
    }
    return absl::OkStatus();
  }

  // Reads each command's result into `results` (by statement), then the
  // sync's, and leaves pipeline mode. Returns the first SQL failure (after
  // a failure the rest come back PIPELINE_ABORTED), or a wire failure
  // (broken_ set).
  absl::Status ReadPipelined(const std::vector<Sent>& sent, absl::Time deadline,
                             std::vector<ResultSet>& results) {
    absl::Status failure = absl::OkStatus();
    std::vector<const Sent*> prepared;
    for (const Sent& s : sent) {
      absl::StatusOr<ResultPtr> result = NextResult(conn_, deadline);
      if (!result.ok()) return Broken(result.status());
      if (*result == nullptr) {
        return Broken(absl::UnavailableError("postgres: pipeline: missing"));
      }
      while (true) {  // to the command's end
        absl::StatusOr<ResultPtr> more = NextResult(conn_, deadline);
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
    absl::StatusOr<ResultPtr> sync = NextResult(conn_, deadline);
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
    return failure;
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
    RETURN_IF_ERROR(InTime(deadline));
    const std::string copy =
        absl::StrCat("COPY ", table, " (", columns, ") FROM STDIN");
    if (PQsendQuery(conn_, copy.c_str()) != 1) {
      return Broken(absl::UnavailableError("postgres: connection lost"));
    }
    if (absl::Status sent = Flush(conn_, deadline); !sent.ok()) {
      return Broken(sent);
    }
    absl::StatusOr<ResultPtr> started = NextResult(conn_, deadline);
    if (!started.ok()) return Broken(started.status());
    if (*started == nullptr ||
        PQresultStatus(started->get()) != PGRES_COPY_IN) {
      absl::Status refused = StatusFromResult(conn_, started->get(), "copy");
      // Read the command to its end; the refusal is what counts.
      absl::Status rest = Collect(deadline, "copy").status();
      if (broken_) return rest;
      return refused;
    }
    if (absl::Status put = PutCopyData(conn_, data, deadline); !put.ok()) {
      return Broken(put);
    }
    if (absl::Status end = PutCopyEnd(conn_, deadline); !end.ok()) {
      return Broken(end);
    }
    RETURN_IF_ERROR(Collect(deadline, "copy").status());
    RecordQuery(Engine::kPostgres, absl::Now() - start);
    return absl::OkStatus();
  }

  ConnectionOwner* owner_;
  PostgresConnection* connection_;
  PGconn* conn_;
  const absl::Time deadline_;
  const absl::Duration call_timeout_;
  bool done_ = false;
  bool broken_ = false;
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

Started StartTransaction(ConnectionOwner* owner, PostgresConnection* connection,
                         TxMode mode, absl::Time deadline,
                         absl::Duration call_timeout) {
  auto tx = std::make_unique<PostgresTransaction>(owner, connection, deadline,
                                                  call_timeout);
  absl::Status begun = tx->Begin(mode);
  if (begun.ok()) return {std::unique_ptr<Transaction>(std::move(tx)), false};
  const bool dropped =
      !absl::IsDeadlineExceeded(begun) &&
      (tx->broken() || PQstatus(connection->conn) == CONNECTION_BAD);
  tx->MarkDone();
  return {begun, dropped};  // the connection goes back as `tx` ends
}

absl::Status RunOutsideTransaction(ConnectionOwner* owner,
                                   PostgresConnection* connection,
                                   absl::string_view sql, absl::Time deadline,
                                   absl::Duration call_timeout) {
  PostgresTransaction runner(owner, connection, deadline, call_timeout);
  absl::Status status = runner.ExecuteScript(sql);
  runner.MarkDone();  // nothing to roll back
  return status;
}

}  // namespace training::sql::postgres
