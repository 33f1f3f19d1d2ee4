// What only the PostgreSQL engine does: array literals, connections the
// server drops, the pool, URLs, and conflicts the server detects.

#include <atomic>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/sql/database.h"
#include "common/sql/testing/postgres_server.h"
#include "common/sql/testing/test_databases.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/testing/status_matchers.h"
#include "common/time/deadline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::sql {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;

constexpr absl::Duration kWatchdog = absl::Seconds(60);

TEST(PostgresDatabaseTest, ArrayLiteralsReadBackAsTheValuesGiven) {
  auto url = testing::NewTestDatabaseUrl(Engine::kPostgres);
  ASSERT_THAT(url, IsOk());
  auto db = Database::Open(*url);
  ASSERT_THAT(db, IsOk());
  const std::vector<std::string> texts = {
      "plain", "O'Brien \"Bob\"", "back\\slash\\", "{a,b}",      "NULL",
      "",      " spaced ",        "Zoë ✓",         "line\nbreak"};
  std::vector<Value> values(texts.begin(), texts.end());
  values.push_back(Null());
  auto tx = (*db)->Begin(TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto rows = (*tx)->Query(
      "SELECT t, t IS NULL AS missing FROM unnest($1::text[]) "
      "WITH ORDINALITY AS u(t, n) ORDER BY n",
      {ArrayLiteral(values).value_or("{}")});
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), values.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(rows->GetString(i, "t").value_or("?"), texts[i]) << i;
  }
  EXPECT_EQ(rows->GetInt64(texts.size(), "missing").value_or(0), 1);
}

TEST(PostgresDatabaseTest, ConnectionKilledByTheServerIsReplaced) {
  auto url = testing::NewTestDatabaseUrl(Engine::kPostgres);
  ASSERT_THAT(url, IsOk());
  auto db = Database::Open(*url + "?pool_size=1");
  ASSERT_THAT(db, IsOk());
  std::string pid;
  {
    auto tx = (*db)->Begin(TxMode::kRead);
    ASSERT_THAT(tx, IsOk());
    auto rows = (*tx)->Query("SELECT pg_backend_pid() AS pid");
    ASSERT_THAT(rows, IsOk());
    pid = absl::StrCat(rows->GetInt64(0, "pid").value_or(0));
  }

  ASSERT_THAT(testing::PostgresAdmin(
                  absl::StrCat("SELECT pg_terminate_backend(", pid, ")")),
              IsOk());
  auto tx = (*db)->Begin(TxMode::kRead);

  ASSERT_THAT(tx, IsOk());
  auto rows = (*tx)->Query("SELECT pg_backend_pid() AS pid");
  ASSERT_THAT(rows, IsOk());
  EXPECT_NE(absl::StrCat(rows->GetInt64(0, "pid").value_or(0)), pid);
}

TEST(PostgresDatabaseTest, BusyPoolGivesUnavailableWithinTheAcquireTimeout) {
  auto url = testing::NewTestDatabaseUrl(Engine::kPostgres);
  ASSERT_THAT(url, IsOk());
  auto db = Database::Open(*url + "?pool_size=1&acquire_timeout_ms=100");
  ASSERT_THAT(db, IsOk());
  auto held = (*db)->Begin(TxMode::kRead);
  ASSERT_THAT(held, IsOk());

  EXPECT_THAT((*db)->Begin(TxMode::kRead),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(DatabaseUrlTest, RejectsBadUrlsWithoutEchoingThem) {
  const std::pair<std::string, std::string> cases[] = {
      {"mysql://root:secret@host/db", "must start with"},
      {"sqlite://", "needs a file path"},
      {"sqlite:///tmp/x.db?readers=zero", "readers"},
      {"sqlite:///tmp/x.db?colour=blue", "unknown sqlite parameter 'colour'"},
      {"postgresql://u:secret@127.0.0.1:1/db?pool_size=-1", "pool_size"},
  };
  for (const auto& [url, expected] : cases) {
    SCOPED_TRACE(url);
    auto db = Database::Open(url);
    EXPECT_THAT(
        db, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(expected)));
    EXPECT_THAT(std::string(db.status().message()), Not(HasSubstr("secret")));
  }
}

TEST(DatabaseUrlTest, UnreachablePostgresIsUnavailable) {
  auto db = Database::Open(
      "postgresql://nobody:secret@127.0.0.1:1/db?connect_timeout=2");

  EXPECT_THAT(db, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(db.status().message()), Not(HasSubstr("secret")));
}

// One round trip on a new transaction: BEGIN, SELECT 1, COMMIT.
absl::Status SelectOne(Database& db) {
  ASSIGN_OR_RETURN(auto tx, db.Begin(TxMode::kRead));
  RETURN_IF_ERROR(tx->Query("SELECT 1 AS one").status());
  return tx->Commit();
}

// `work` on another thread; fails the test (and gives the answer up)
// unless it finishes within the watchdog: proof that nothing hangs, not a
// claim about how long it takes.
absl::Status WithinWatchdog(std::function<absl::Status()> work,
                            const std::function<void()>& on_hang) {
  auto future = std::async(std::launch::async, std::move(work));
  if (future.wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
    ADD_FAILURE() << "still waiting after the watchdog";
    on_hang();
  }
  return future.get();
}

// PostgreSQL stops answering (every process of it frozen, as on a hung
// host): a wait for it ends at the caller's deadline, or at call_timeout
// for work without a caller, with DEADLINE_EXCEEDED, on a pooled
// connection and on a new one alike; once it answers again, so does the
// database, on fresh connections.
TEST(PostgresDatabaseTest, AFrozenServerCostsNoWaitPastTheDeadline) {
  testing::PostgresServer server;
  ASSERT_TRUE(server.Start()) << server.Log();
  auto with_deadlines = Database::Open(server.url() + "?pool_size=1");
  auto without =
      Database::Open(server.url() + "?pool_size=1&call_timeout_ms=500");
  ASSERT_THAT(with_deadlines, IsOk());
  ASSERT_THAT(without, IsOk());
  ASSERT_THAT(SelectOne(**with_deadlines), IsOk());
  ASSERT_THAT(SelectOne(**without), IsOk());
  auto thaw = [&] { server.Thaw(); };

  server.Freeze();
  absl::Status pooled = WithinWatchdog(
      [&] {
        ScopedDeadline deadline(absl::Now() + absl::Milliseconds(500));
        return SelectOne(**with_deadlines);
      },
      thaw);
  absl::Status fresh = WithinWatchdog(
      [&] {
        ScopedDeadline deadline(absl::Now() + absl::Milliseconds(500));
        return SelectOne(**with_deadlines);  // the pooled one was discarded
      },
      thaw);
  absl::Status no_caller =
      WithinWatchdog([&] { return SelectOne(**without); }, thaw);
  server.Thaw();

  EXPECT_THAT(pooled, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(fresh, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(no_caller, StatusIs(absl::StatusCode::kDeadlineExceeded));
  // Once thawed, both answer again (a slow machine may need a few tries
  // within the 500 ms each wait of `without` is given).
  auto eventually = [](Database& db) {
    return WithinWatchdog(
        [&db] {
          absl::Status status;
          for (int attempt = 0; attempt < 100; ++attempt) {
            status = SelectOne(db);
            if (status.ok()) break;
          }
          return status;
        },
        [] {});
  };
  EXPECT_THAT(eventually(**with_deadlines), IsOk());
  EXPECT_THAT(eventually(**without), IsOk());
}

// Two transactions lock two rows in opposite orders: PostgreSQL picks one
// as the deadlock's victim, and RunInTransaction runs that one again.
TEST(PostgresDatabaseTest, ADeadlockIsAConflictAndRunsAgain) {
  auto url = testing::NewTestDatabaseUrl(Engine::kPostgres);
  ASSERT_THAT(url, IsOk());
  auto db = Database::Open(*url);
  ASSERT_THAT(db, IsOk());
  ASSERT_THAT(ApplyMigrations(**db, "test", testing::TestMigrations()), IsOk());
  ASSERT_THAT(RunInTransaction(**db, TxMode::kWrite,
                               [](Transaction& tx) {
                                 return tx
                                     .Execute(
                                         "INSERT INTO counters (id, v) "
                                         "VALUES (1, 0), (2, 0)")
                                     .status();
                               }),
              IsOk());
  std::atomic<int> first_locks{0};
  std::atomic<int> attempts{0};
  auto cross = [&](int64_t first, int64_t second) {
    bool first_attempt = true;
    return RunInTransaction(**db, TxMode::kWrite, [&](Transaction& tx) {
      ++attempts;
      RETURN_IF_ERROR(
          tx.Execute("UPDATE counters SET v = v + 1 WHERE id = $1", {first})
              .status());
      if (first_attempt) {
        // Both hold their first row before either asks for its second.
        first_attempt = false;
        ++first_locks;
        for (absl::Time end = absl::Now() + kWatchdog;
             first_locks.load() < 2 && absl::Now() < end;) {
          absl::SleepFor(absl::Milliseconds(1));
        }
      }
      return tx.Execute("UPDATE counters SET v = v + 1 WHERE id = $1", {second})
          .status();
    });
  };

  absl::Status a, b;
  std::thread one([&] { a = cross(1, 2); });
  std::thread two([&] { b = cross(2, 1); });
  one.join();
  two.join();

  EXPECT_THAT(a, IsOk());
  EXPECT_THAT(b, IsOk());
  // At least the victim ran again; on a loaded machine a retry may meet the
  // winner once more, so more attempts are allowed, never fewer.
  EXPECT_GE(attempts.load(), 3) << "a deadlock victim ran again";
  auto tx = (*db)->Begin(TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto sum =
      (*tx)->Query("SELECT CAST(SUM(v) AS BIGINT) AS total FROM counters");
  ASSERT_THAT(sum, IsOk());
  EXPECT_EQ(sum->GetInt64(0, "total").value_or(-1), 4);
}

}  // namespace
}  // namespace training::sql
