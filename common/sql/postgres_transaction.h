#ifndef TRAINING_COMMON_SQL_POSTGRES_TRANSACTION_H_
#define TRAINING_COMMON_SQL_POSTGRES_TRANSACTION_H_

// A transaction on one PostgreSQL connection. Every exchange with the
// server goes through postgres_wire.h, bounded by the caller's deadline and
// by call_timeout from the exchange's start; a wire failure (the deadline
// passed mid-exchange, the connection dropped) marks the connection
// broken, and it is closed rather than pooled.

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/sql/statement_cache.h"

namespace training::sql::postgres {

// Prepared statements kept per connection (see SqliteConnection).
inline constexpr size_t kStatementsPerConnection = 200;

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
  // Let go of by the cache (only ever right after another was prepared,
  // so in a healthy transaction), still to DEALLOCATE. Declared before the
  // cache, which adds to it even as it is destroyed.
  std::vector<std::string> evicted;
  StatementCache<std::string> statements;
};

// Where a transaction's connection goes when the transaction ends.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  // Takes the connection back; `broken`: close it, never reuse it.
  virtual void Release(PostgresConnection* connection, bool broken) = 0;
};

// What starting a transaction on one connection came to.
struct Started {
  absl::StatusOr<std::unique_ptr<Transaction>> transaction;
  // BEGIN failed on a connection the server had closed while it sat idle
  // (a restart, pg_terminate_backend): nothing ran; a new one may work.
  bool connection_was_dropped = false;
};

// Begins a transaction on `connection`, which goes back to `owner` when the
// transaction ends (at once, when it does not begin).
Started StartTransaction(ConnectionOwner* owner, PostgresConnection* connection,
                         TxMode mode, absl::Time deadline,
                         absl::Duration call_timeout);

// Runs `sql` on `connection` outside any transaction (VACUUM cannot run
// inside one), then gives the connection back to `owner`.
absl::Status RunOutsideTransaction(ConnectionOwner* owner,
                                   PostgresConnection* connection,
                                   absl::string_view sql, absl::Time deadline,
                                   absl::Duration call_timeout);

}  // namespace training::sql::postgres

#endif  // TRAINING_COMMON_SQL_POSTGRES_TRANSACTION_H_
