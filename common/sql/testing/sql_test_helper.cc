// A second process for the SQL tests.
//
//   sql_test_helper migrate <url>
//       applies the test migrations; exit 0 on success.
//   sql_test_helper contend <url> <marker>
//       in one write transaction: reads counters(id=1) with its row lock,
//       adds one, commits; prints "read <v>". The first time it has to wait
//       for another process's lock (SQLite busy handler) it creates
//       <marker>, so the test can observe the wait.

#include <cstdio>
#include <fstream>
#include <string>

#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "common/sql/sqlite_database.h"
#include "common/sql/testing/test_databases.h"

using training::sql::Database;
using training::sql::Transaction;

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const std::string command = argv[1];
  auto db = Database::Open(argv[2]);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n",
                 std::string(db.status().message()).c_str());
    return 1;
  }
  if (command == "migrate") {
    absl::Status status = training::sql::ApplyMigrations(
        **db, "test", training::sql::testing::TestMigrations());
    if (!status.ok()) {
      std::fprintf(stderr, "migrate: %s\n",
                   std::string(status.message()).c_str());
      return 1;
    }
    return 0;
  }
  if (command == "contend" && argc == 4) {
    const std::string marker = argv[3];
    training::sql::SetSqliteBusyObserverForTest(
        [marker] { std::ofstream(marker) << "waiting\n"; });
    int64_t read = -1;
    absl::Status status = training::sql::RunInTransaction(
        **db, training::sql::TxMode::kWrite,
        [&](Transaction& tx) -> absl::Status {
          auto rows = tx.QueryForUpdate("SELECT v FROM counters WHERE id = $1",
                                        {int64_t{1}});
          if (!rows.ok()) return rows.status();
          auto v = rows->GetInt64(0, "v");
          if (!v.ok()) return v.status();
          read = *v;
          return tx.Execute("UPDATE counters SET v = $1 WHERE id = 1", {*v + 1})
              .status();
        });
    if (!status.ok()) {
      std::fprintf(stderr, "contend: %s\n",
                   std::string(status.message()).c_str());
      return 1;
    }
    std::printf("read %lld\n", static_cast<long long>(read));
    return 0;
  }
  return 2;
}
