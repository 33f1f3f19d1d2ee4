#ifndef TRAINING_COMMON_SQL_TESTING_TEST_DATABASES_H_
#define TRAINING_COMMON_SQL_TESTING_TEST_DATABASES_H_

// Fresh databases for tests, on either engine: a new SQLite file in a temp
// directory, or a new database on the PostgreSQL server that ./dev test
// starts (TRAINING_TEST_POSTGRES_URL). Also the migrations the SQL tests
// and their helper process share.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"

namespace training::sql::testing {

// The URL of a new, empty database. FAILED_PRECONDITION naming the variable
// when PostgreSQL is asked for and TRAINING_TEST_POSTGRES_URL is not set.
absl::StatusOr<std::string> NewTestDatabaseUrl(Engine engine);

// Runs one statement outside any transaction on the test PostgreSQL server
// (CREATE DATABASE, pg_terminate_backend); returns the first value of the
// first row, if any.
absl::StatusOr<std::string> PostgresAdmin(const std::string& sql);

// Four migrations: tables `counters` and `notes`, an index, and a table
// `tickets` numbered on insert (`seq`, sequence tickets_seq_seq).
std::vector<Migration> TestMigrations();

const char* EngineName(Engine engine);

}  // namespace training::sql::testing

#endif  // TRAINING_COMMON_SQL_TESTING_TEST_DATABASES_H_
