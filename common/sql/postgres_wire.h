#ifndef TRAINING_COMMON_SQL_POSTGRES_WIRE_H_
#define TRAINING_COMMON_SQL_POSTGRES_WIRE_H_

// libpq's asynchronous API with a deadline on every wait. libpq has no
// client-side timeout of its own: PQexec and PQconnectdb wait as long as
// the server takes, so a PostgreSQL that stops answering (frozen, a link
// that drops without a reset) held the calling thread past its caller's
// deadline, for ever. Here every wait polls the connection's socket until
// a deadline.
//
// Connections are in non-blocking mode (OpenConnection sets it). Any
// non-OK status from these functions means the conversation with the
// server is lost or cut short (UNAVAILABLE, or DEADLINE_EXCEEDED when the
// deadline came first): the caller must close the connection, never reuse
// it. SQL errors are not failures here; they come back as results.

#include <libpq-fe.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace training::sql::postgres {

using ResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

// Opens a connection by `conninfo`, in non-blocking mode and with notices
// silenced (they would reach stderr as free text), not waiting past
// `deadline`. The caller owns it (PQfinish).
absl::StatusOr<PGconn*> OpenConnection(const std::string& conninfo,
                                       absl::Time deadline);

// Sends everything libpq holds for the server.
absl::Status Flush(PGconn* conn, absl::Time deadline);

// The next result of the command in flight; a null result when it has no
// more (in pipeline mode: when the current command has no more).
absl::StatusOr<ResultPtr> NextResult(PGconn* conn, absl::Time deadline);

// Sends `data` of a COPY … FROM STDIN in progress; then the end of it.
absl::Status PutCopyData(PGconn* conn, absl::string_view data,
                         absl::Time deadline);
absl::Status PutCopyEnd(PGconn* conn, absl::Time deadline);

}  // namespace training::sql::postgres

#endif  // TRAINING_COMMON_SQL_POSTGRES_WIRE_H_
