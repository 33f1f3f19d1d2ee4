#include "common/sql/testing/test_databases.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/testing/process.h"

namespace training::sql::testing {
namespace {

absl::StatusOr<std::string> ServerUrl() {
  const char* url = std::getenv("TRAINING_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    return absl::FailedPreconditionError(
        "TRAINING_TEST_POSTGRES_URL is not set: run the tests with ./dev test, "
        "which starts a throwaway PostgreSQL server");
  }
  return std::string(url);
}

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  return absl::StrCat(getpid(), "_", absl::ToUnixMicros(absl::Now()), "_",
                      counter.fetch_add(1));
}

}  // namespace

const char* EngineName(Engine engine) {
  return engine == Engine::kSqlite ? "sqlite" : "postgres";
}

absl::StatusOr<std::string> PostgresAdmin(const std::string& sql) {
  auto url = ServerUrl();
  if (!url.ok()) return url.status();
  PGconn* conn = PQconnectdb(url->c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    PQfinish(conn);
    return absl::UnavailableError("test postgres: cannot connect");
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  PGresult* result = PQexec(conn, sql.c_str());
  absl::StatusOr<std::string> out = std::string();
  const ExecStatusType s = PQresultStatus(result);
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
    out = absl::InternalError(
        absl::StrCat("test postgres: ", PQresultErrorMessage(result)));
  } else if (PQntuples(result) > 0 && PQnfields(result) > 0) {
    out = std::string(PQgetvalue(result, 0, 0));
  }
  PQclear(result);
  PQfinish(conn);
  return out;
}

namespace {

// The databases this process made on the test server, dropped when the
// process exits normally (a run made hundreds, some gigabytes in all).
class CreatedDatabases {
 public:
  void Add(std::string name) {
    absl::MutexLock lock(&mu_);
    names_.push_back(std::move(name));
  }
  ~CreatedDatabases() {
    if (getpid() != owner_) return;
    absl::MutexLock lock(&mu_);
    for (const std::string& name : names_) {
      // FORCE: a connection a test left open must not keep it.
      (void)PostgresAdmin(
          absl::StrCat("DROP DATABASE IF EXISTS ", name, " WITH (FORCE)"));
    }
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> names_ ABSL_GUARDED_BY(mu_);
  const pid_t owner_ = getpid();
};

}  // namespace

absl::StatusOr<std::string> NewTestDatabaseUrl(Engine engine) {
  if (engine == Engine::kSqlite) {
    return absl::StrCat("sqlite://", training::testing::MakeTempDir("sql"),
                        "/test.db");
  }
  auto url = ServerUrl();
  if (!url.ok()) return url.status();
  const std::string name = absl::StrCat("t_", UniqueSuffix());
  auto created = PostgresAdmin(absl::StrCat("CREATE DATABASE ", name));
  if (!created.ok()) return created.status();
  static CreatedDatabases created_databases;
  created_databases.Add(name);
  // Replace the database part of postgresql://user@host:port/db.
  const std::string& base = *url;
  const size_t slash = base.find('/', base.find("://") + 3);
  return absl::StrCat(base.substr(0, slash), "/", name);
}

std::vector<Migration> TestMigrations() {
  return {
      {1,
       "counters",
       {"CREATE TABLE counters (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)",
        "CREATE TABLE counters (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)"}},
      {2,
       "notes",
       {"CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT, data BLOB, "
        "score DOUBLE PRECISION, email TEXT UNIQUE)",
        "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT, data BYTEA, "
        "score DOUBLE PRECISION, email TEXT UNIQUE)"}},
      {3,
       "notes index",
       {"CREATE INDEX notes_by_score ON notes (score)",
        "CREATE INDEX notes_by_score ON notes (score)"}},
      {4,
       "tickets, numbered on insert",
       {"CREATE TABLE tickets (code TEXT NOT NULL UNIQUE, seq INTEGER "
        "PRIMARY KEY AUTOINCREMENT, holder TEXT NOT NULL)",
        "CREATE TABLE tickets (code TEXT NOT NULL UNIQUE, seq BIGSERIAL "
        "PRIMARY KEY, holder TEXT NOT NULL)"}},
  };
}

}  // namespace training::sql::testing
