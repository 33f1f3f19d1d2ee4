#ifndef TRAINING_COMMON_SQL_POSTGRES_DATABASE_H_
#define TRAINING_COMMON_SQL_POSTGRES_DATABASE_H_

// The engine for several replicas: PostgreSQL through libpq, with a bounded
// pool of connections (waiting at most the acquire timeout for one), each
// with statement_timeout and lock_timeout set (libpq has no query timeout of
// its own). A connection found broken is replaced; a transaction whose BEGIN
// fails on a broken connection is retried once on a fresh one.

#include <memory>
#include <string>

#include "common/sql/database.h"

namespace training::sql {

// `conninfo` is a libpq connection URI or keyword string, without the
// suite's own parameters (Database::Open strips them).
absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(
    const std::string& conninfo, const DatabaseOptions& options);

}  // namespace training::sql

#endif  // TRAINING_COMMON_SQL_POSTGRES_DATABASE_H_
