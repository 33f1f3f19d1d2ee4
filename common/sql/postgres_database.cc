#include "common/sql/postgres_database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/metrics/metrics.h"
#include "common/pool/idle_pool.h"
#include "common/sql/pool_metrics.h"
#include "common/sql/postgres_transaction.h"
#include "common/sql/postgres_wire.h"
#include "common/status_macros.h"
#include "common/time/deadline.h"

namespace training::sql {
namespace {

metrics::CounterFamily& Reconnects() {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_sql_reconnects_total",
      "Broken PostgreSQL connections replaced.", {});
  return family;
}

class PostgresDatabase final : public Database,
                               public postgres::ConnectionOwner {
 public:
  PostgresDatabase(std::string conninfo, DatabaseOptions options)
      : conninfo_(std::move(conninfo)),
        options_(options),
        pool_(options.connections) {}

  ~PostgresDatabase() override {
    for (postgres::PostgresConnection* c : pool_.TakeAllIdle()) delete c;
  }

  Engine engine() const override { return Engine::kPostgres; }
  bool HasSingleWriter() const override { return false; }

  absl::Status Check() {
    auto conn = Acquire(absl::InfiniteFuture());
    if (!conn.ok()) return conn.status();
    Release(*conn, /*broken=*/false);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(TxMode mode) override {
    const absl::Time deadline = CurrentDeadline();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          "postgres: the deadline passed before the transaction began");
    }
    auto conn = Acquire(deadline);
    if (!conn.ok()) return conn.status();
    postgres::Started started = postgres::StartTransaction(
        this, *conn, mode, deadline, options_.call_timeout);
    if (started.connection_was_dropped) {
      // Nothing had run yet: retry once on a new connection.
      conn = Acquire(deadline);
      if (!conn.ok()) return conn.status();
      started = postgres::StartTransaction(this, *conn, mode, deadline,
                                           options_.call_timeout);
    }
    return std::move(started.transaction);
  }

  absl::Status ScrubFreedSpace(
      const std::vector<std::string>& tables) override {
    const absl::Time deadline = CurrentDeadline();
    for (const std::string& table : tables) {
      // Table names come from the stores' own code, never from callers.
      for (char c : table) {
        if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
          return absl::InvalidArgumentError("postgres: not a table name");
        }
      }
      auto conn = Acquire(deadline);
      if (!conn.ok()) return conn.status();
      RETURN_IF_ERROR(postgres::RunOutsideTransaction(
          this, *conn, absl::StrCat("VACUUM ", table), deadline,
          options_.call_timeout));
    }
    return absl::OkStatus();
  }

  // postgres::ConnectionOwner:
  void Release(postgres::PostgresConnection* connection, bool broken) override {
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
  absl::StatusOr<postgres::PostgresConnection*> Acquire(absl::Time deadline) {
    const absl::Time start = absl::Now();
    const bool deadline_first = deadline < start + options_.acquire_timeout;
    postgres::PostgresConnection* conn = nullptr;
    const auto slot = pool_.Take(
        deadline_first ? deadline - start : options_.acquire_timeout, &conn);
    if (slot ==
        pool::IdlePool<postgres::PostgresConnection*>::Slot::kTimedOut) {
      RecordAcquireTimeout(Engine::kPostgres);
      return deadline_first ? absl::DeadlineExceededError(
                                  "postgres: no connection free before the "
                                  "deadline")
                            : absl::UnavailableError(
                                  "postgres: no connection free in time");
    }
    RecordAcquireWait(Engine::kPostgres, absl::Now() - start);
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

  absl::StatusOr<postgres::PostgresConnection*> Connect(absl::Time deadline) {
    const absl::Time by =
        std::min(deadline, absl::Now() + std::min(options_.connect_timeout,
                                                  options_.call_timeout));
    ASSIGN_OR_RETURN(PGconn * opened, postgres::OpenConnection(conninfo_, by));
    auto connection = std::make_unique<postgres::PostgresConnection>(opened);
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
  pool::IdlePool<postgres::PostgresConnection*> pool_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(
    const std::string& conninfo, const DatabaseOptions& options) {
  auto db = std::make_unique<PostgresDatabase>(conninfo, options);
  absl::Status status = db->Check();
  if (!status.ok()) return status;
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace training::sql
