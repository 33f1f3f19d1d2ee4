#include "common/sql/migrations.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace training::sql {
namespace {

// Serialises migration runs across processes. PostgreSQL: a transaction-
// scoped advisory lock (the key spells "trai"). SQLite: the write
// transaction already holds the database lock.
const SqlText kLockMigrations{"SELECT 1",
                              "SELECT pg_advisory_xact_lock(1953653097)"};

constexpr char kCreateTable[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " component TEXT NOT NULL,"
    " version BIGINT NOT NULL,"
    " description TEXT NOT NULL,"
    " applied_at_us BIGINT NOT NULL,"
    " PRIMARY KEY (component, version))";

// The oldest version a binary must know to run against the database: the
// last contract migration applied (0: none).
constexpr char kCreateReaders[] =
    "CREATE TABLE IF NOT EXISTS schema_readers ("
    " component TEXT PRIMARY KEY,"
    " oldest_version BIGINT NOT NULL)";

// The database's oldest readable version for `component`; a database from
// before schema_readers was kept admits only binaries that know it all.
absl::StatusOr<int> OldestReader(Transaction& tx, absl::string_view component,
                                 int current) {
  ASSIGN_OR_RETURN(ResultSet rows,
                   tx.Query("SELECT oldest_version FROM schema_readers "
                            "WHERE component = $1",
                            {std::string(component)}));
  if (rows.size() == 0) return current;
  ASSIGN_OR_RETURN(int64_t v, rows.GetInt64(0, "oldest_version"));
  return static_cast<int>(v);
}

absl::StatusOr<std::vector<int>> ReadVersions(Transaction& tx,
                                              absl::string_view component) {
  ASSIGN_OR_RETURN(ResultSet rows,
                   tx.Query("SELECT version FROM schema_migrations WHERE "
                            "component = $1 ORDER BY version",
                            {std::string(component)}));
  std::vector<int> versions;
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(int64_t v, rows.GetInt64(i, "version"));
    versions.push_back(static_cast<int>(v));
  }
  return versions;
}

}  // namespace

SqlText PortableDdl(absl::string_view ddl) {
  auto spell = [&](absl::string_view bytes, absl::string_view serial_key) {
    return absl::StrReplaceAll(ddl,
                               {{"BYTES", bytes}, {"SERIAL_KEY", serial_key}});
  };
  return {spell("BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT"),
          spell("BYTEA", "BIGSERIAL PRIMARY KEY")};
}

absl::Status ApplyMigrations(Database& db, absl::string_view component,
                             const std::vector<Migration>& migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "migrations of ", component, ": versions must run 1, 2, 3 …"));
    }
  }
  return RunInTransaction(
      db, TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(tx.Query(kLockMigrations.For(db.engine())).status());
        RETURN_IF_ERROR(tx.ExecuteScript(kCreateTable));
        RETURN_IF_ERROR(tx.ExecuteScript(kCreateReaders));
        ASSIGN_OR_RETURN(std::vector<int> applied, ReadVersions(tx, component));
        const int current = applied.empty() ? 0 : applied.back();
        const int known = static_cast<int>(migrations.size());
        if (current > known) {
          // A newer release is rolling out beside this one.
          ASSIGN_OR_RETURN(int oldest, OldestReader(tx, component, current));
          if (oldest <= known) return absl::OkStatus();
          return absl::FailedPreconditionError(absl::StrCat(
              "migrations of ", component, ": the database is at version ",
              current, ", newer than this binary (", known,
              "), and its migration ", oldest,
              " took away what this binary uses"));
        }
        for (const Migration& m : migrations) {
          if (m.version <= current) continue;
          RETURN_IF_ERROR(tx.ExecuteScript(m.sql.For(db.engine())));
          RETURN_IF_ERROR(
              tx.Execute(
                    "INSERT INTO schema_migrations (component, version, "
                    "description, applied_at_us) VALUES ($1, $2, $3, $4)",
                    {std::string(component), static_cast<int64_t>(m.version),
                     m.description, absl::ToUnixMicros(absl::Now())})
                  .status());
        }
        int oldest = 0;
        for (const Migration& m : migrations) {
          if (m.contract) oldest = m.version;
        }
        return tx
            .Execute(
                "INSERT INTO schema_readers (component, oldest_version) "
                "VALUES ($1, $2) ON CONFLICT (component) DO UPDATE SET "
                "oldest_version = excluded.oldest_version",
                {std::string(component), static_cast<int64_t>(oldest)})
            .status();
      });
}

absl::StatusOr<std::vector<int>> AppliedMigrations(
    Database& db, absl::string_view component) {
  ASSIGN_OR_RETURN(auto tx, db.Begin(TxMode::kRead));
  return ReadVersions(*tx, component);
}

}  // namespace training::sql
