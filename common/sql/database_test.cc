#include "common/sql/database.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/sql/dialect.h"
#include "common/sql/migrations.h"
#include "common/sql/testing/engines.h"
#include "common/sql/testing/test_databases.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/testing/process.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::sql {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;

constexpr absl::Duration kWatchdog = absl::Seconds(60);

class DatabaseTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    auto url = testing::NewTestDatabaseUrl(GetParam());
    ASSERT_THAT(url, IsOk());
    url_ = *url;
    auto db = Database::Open(url_);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    ASSERT_THAT(ApplyMigrations(*db_, "test", testing::TestMigrations()),
                IsOk());
  }

  absl::StatusOr<int64_t> CounterValue() {
    ASSIGN_OR_RETURN(auto tx, db_->Begin(TxMode::kRead));
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx->Query("SELECT v FROM counters WHERE id = $1", {int64_t{1}}));
    if (rows.empty()) return absl::NotFoundError("no counter");
    return rows.GetInt64(0, "v");
  }

  absl::Status SetCounter(int64_t v) {
    return RunInTransaction(*db_, TxMode::kWrite, [v](Transaction& tx) {
      return tx
          .Execute(
              "INSERT INTO counters (id, v) VALUES (1, $1) ON CONFLICT "
              "(id) DO UPDATE SET v = excluded.v",
              {v})
          .status();
    });
  }

  std::string url_;
  std::unique_ptr<Database> db_;
};

TEST_P(DatabaseTest, CommitMakesChangesVisibleToNewTransactions) {
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(tx, IsOk());

  ASSERT_THAT((*tx)->Execute("INSERT INTO counters (id, v) VALUES ($1, $2)",
                             {int64_t{1}, int64_t{41}}),
              IsOk());
  ASSERT_THAT((*tx)->Commit(), IsOk());

  EXPECT_EQ(CounterValue().value_or(-1), 41);
}

TEST_P(DatabaseTest, RollbackDiscardsChanges) {
  ASSERT_THAT(SetCounter(1), IsOk());
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(tx, IsOk());

  ASSERT_THAT((*tx)->Execute("UPDATE counters SET v = 99 WHERE id = 1"),
              IsOk());
  ASSERT_THAT((*tx)->Rollback(), IsOk());

  EXPECT_EQ(CounterValue().value_or(-1), 1);
}

TEST_P(DatabaseTest, TransactionDestroyedWithoutCommitRollsBack) {
  ASSERT_THAT(SetCounter(1), IsOk());
  {
    auto tx = db_->Begin(TxMode::kWrite);
    ASSERT_THAT(tx, IsOk());
    ASSERT_THAT((*tx)->Execute("UPDATE counters SET v = 99 WHERE id = 1"),
                IsOk());
  }

  EXPECT_EQ(CounterValue().value_or(-1), 1);
  // The connection went back to the pool usable.
  EXPECT_THAT(SetCounter(2), IsOk());
  EXPECT_EQ(CounterValue().value_or(-1), 2);
}

TEST_P(DatabaseTest, FinishedTransactionRefusesFurtherUse) {
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(tx, IsOk());
  ASSERT_THAT((*tx)->Commit(), IsOk());

  EXPECT_THAT((*tx)->Query("SELECT 1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT((*tx)->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(DatabaseTest, HostileStringsAreBoundNeverSpliced) {
  const std::vector<std::string> hostile = {
      "'); DROP TABLE notes; --",
      "Robert'); DELETE FROM counters; --",
      "$1 $2 ? :name @x",
      "quote ' double \" backslash \\ percent %",
      "Zoë Ødegård — 日本語 🙂",
  };
  ASSERT_THAT(SetCounter(7), IsOk());
  for (size_t i = 0; i < hostile.size(); ++i) {
    SCOPED_TRACE(hostile[i]);
    ASSERT_THAT(RunInTransaction(*db_, TxMode::kWrite,
                                 [&](Transaction& tx) {
                                   return tx
                                       .Execute(
                                           "INSERT INTO notes (id, body, data) "
                                           "VALUES ($1, $2, $3)",
                                           {static_cast<int64_t>(i), hostile[i],
                                            Blob{std::string("a\0b'", 4)}})
                                       .status();
                                 }),
                IsOk());
  }

  auto tx = db_->Begin(TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto rows = (*tx)->Query("SELECT id, body, data FROM notes ORDER BY id");
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), hostile.size());
  for (size_t i = 0; i < hostile.size(); ++i) {
    EXPECT_EQ(rows->GetString(i, "body").value_or(""), hostile[i]);
    EXPECT_EQ(rows->GetBlob(i, "data").value_or(Blob{}).bytes,
              std::string("a\0b'", 4));
  }
  EXPECT_EQ(CounterValue().value_or(-1), 7);
}

TEST_P(DatabaseTest, TypedAccessNamesTheColumnOnMismatch) {
  ASSERT_THAT(RunInTransaction(*db_, TxMode::kWrite,
                               [](Transaction& tx) {
                                 return tx
                                     .Execute(
                                         "INSERT INTO notes (id, body, score) "
                                         "VALUES (1, 'text', 2.5)")
                                     .status();
                               }),
              IsOk());
  auto tx = db_->Begin(TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto rows = (*tx)->Query("SELECT id, body, score, data FROM notes");
  ASSERT_THAT(rows, IsOk());

  EXPECT_EQ(rows->GetInt64(0, "id").value_or(0), 1);
  EXPECT_EQ(rows->GetDouble(0, "score").value_or(0), 2.5);
  EXPECT_THAT(rows->GetInt64(0, "body"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("column 'body': expected integer, got text")));
  EXPECT_THAT(rows->GetString(0, "data"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("column 'data'")));
  EXPECT_THAT(rows->GetOptionalString(0, "data"), IsOk());
  EXPECT_THAT(
      rows->GetInt64(0, "nope"),
      StatusIs(absl::StatusCode::kInternal, HasSubstr("no column 'nope'")));
  EXPECT_THAT(rows->GetInt64(5, "id"), StatusIs(absl::StatusCode::kInternal));
}

TEST_P(DatabaseTest, UniqueViolationIsAlreadyExistsWithoutTheValue) {
  auto insert = [this](int64_t id) {
    return RunInTransaction(*db_, TxMode::kWrite, [id](Transaction& tx) {
      return tx
          .Execute("INSERT INTO notes (id, email) VALUES ($1, $2)",
                   {id, std::string("someone@example.org")})
          .status();
    });
  };
  ASSERT_THAT(insert(1), IsOk());

  absl::Status duplicate = insert(2);

  EXPECT_THAT(duplicate, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(std::string(duplicate.message()), Not(HasSubstr("someone@")));
}

TEST_P(DatabaseTest, BadSqlIsInternal) {
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(tx, IsOk());

  EXPECT_THAT((*tx)->Query("SELEC nonsense"),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_P(DatabaseTest, MigrationsApplyOnceAndRefuseANewerDatabase) {
  ASSERT_THAT(ApplyMigrations(*db_, "test", testing::TestMigrations()), IsOk());

  EXPECT_THAT(AppliedMigrations(*db_, "test").value_or(std::vector<int>{}),
              ElementsAre(1, 2, 3, 4));
  // The release before (it knows 1–3) runs beside this one: migration 4
  // only expanded the schema.
  std::vector<Migration> older = testing::TestMigrations();
  older.pop_back();
  EXPECT_THAT(ApplyMigrations(*db_, "test", older), IsOk());
  EXPECT_THAT(AppliedMigrations(*db_, "test").value_or(std::vector<int>{}),
              ElementsAre(1, 2, 3, 4));
  // The next release contracts: the index of migration 3 goes. From then
  // on the binaries that do not know migration 5 are refused.
  std::vector<Migration> newer = testing::TestMigrations();
  newer.push_back({5,
                   "the score index goes",
                   {"DROP INDEX notes_by_score", "DROP INDEX notes_by_score"},
                   true});
  ASSERT_THAT(ApplyMigrations(*db_, "test", newer), IsOk());
  EXPECT_THAT(ApplyMigrations(*db_, "test", testing::TestMigrations()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("newer than this binary")));
  EXPECT_THAT(ApplyMigrations(*db_, "test", older),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ApplyMigrations(*db_, "test", newer), IsOk());
  std::vector<Migration> gap = testing::TestMigrations();
  gap[2].version = 5;
  EXPECT_THAT(ApplyMigrations(*db_, "test", gap),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(DatabaseTest, MigrationsFromTwoProcessesAtOnceApplyEachVersionOnce) {
  auto fresh = testing::NewTestDatabaseUrl(GetParam());
  ASSERT_THAT(fresh, IsOk());
  const std::string dir = training::testing::MakeTempDir("migrate");

  training::testing::ChildProcess a(SQL_TEST_HELPER, {"migrate", *fresh}, {},
                                    dir + "/a.log");
  training::testing::ChildProcess b(SQL_TEST_HELPER, {"migrate", *fresh}, {},
                                    dir + "/b.log");

  EXPECT_EQ(a.Wait(kWatchdog), std::optional<int>(0)) << a.Log();
  EXPECT_EQ(b.Wait(kWatchdog), std::optional<int>(0)) << b.Log();
  auto db = Database::Open(*fresh);
  ASSERT_THAT(db, IsOk());
  EXPECT_THAT(AppliedMigrations(**db, "test").value_or(std::vector<int>{}),
              ElementsAre(1, 2, 3, 4));
}

// Two connections (the second in another process) contend for one row's
// lock: the second is observed waiting, then sees the first's write.
TEST_P(DatabaseTest, RowLockMakesTheSecondWriterWaitAndSeeTheFirstsWrite) {
  ASSERT_THAT(SetCounter(0), IsOk());
  auto first = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(first, IsOk());
  auto locked = (*first)->QueryForUpdate("SELECT v FROM counters WHERE id = $1",
                                         {int64_t{1}});
  ASSERT_THAT(locked, IsOk());
  ASSERT_THAT((*first)->Execute("UPDATE counters SET v = v + 1 WHERE id = 1"),
              IsOk());

  const std::string dir = training::testing::MakeTempDir("contend");
  const std::string marker = dir + "/waiting";
  training::testing::ChildProcess second(
      SQL_TEST_HELPER, {"contend", url_, marker}, {}, dir + "/second.log");

  // Observe the wait: SQLite's busy handler in the other process, or
  // PostgreSQL's own view of who waits for a lock.
  bool waiting = false;
  for (absl::Time end = absl::Now() + kWatchdog;
       !waiting && absl::Now() < end;) {
    if (GetParam() == Engine::kSqlite) {
      waiting = std::filesystem::exists(marker);
    } else {
      auto count = testing::PostgresAdmin(
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
          "'Lock' "
          "AND query LIKE '%FROM counters%'");
      waiting = count.ok() && *count != "0";
    }
    if (!waiting) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(waiting) << second.Log();
  ASSERT_THAT((*first)->Commit(), IsOk());

  EXPECT_EQ(second.Wait(kWatchdog), std::optional<int>(0)) << second.Log();
  EXPECT_THAT(second.Log(), HasSubstr("read 1"));
  EXPECT_EQ(CounterValue().value_or(-1), 2);
}

TEST_P(DatabaseTest, RunInTransactionRetriesConflictsAndReturnsOtherErrors) {
  int calls = 0;
  absl::Status retried =
      RunInTransaction(*db_, TxMode::kWrite, [&](Transaction&) {
        return ++calls < 3 ? TransactionConflictError("read moved")
                           : absl::OkStatus();
      });
  EXPECT_THAT(retried, IsOk());
  EXPECT_EQ(calls, 3);

  calls = 0;
  absl::Status refused =
      RunInTransaction(*db_, TxMode::kWrite, [&](Transaction&) {
        ++calls;
        return absl::FailedPreconditionError("full");
      });
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(calls, 1);
}

// A stale etag is ABORTED too, but running the transaction again would
// only read the same newer version: it is the caller's answer at once.
TEST_P(DatabaseTest, RunInTransactionReturnsADomainAbortedWithoutRetrying) {
  int calls = 0;

  absl::Status stale =
      RunInTransaction(*db_, TxMode::kWrite, [&](Transaction&) {
        ++calls;
        return absl::AbortedError("etag: changed since read");
      });

  EXPECT_THAT(stale, StatusIs(absl::StatusCode::kAborted));
  EXPECT_FALSE(IsTransactionConflict(stale));
  EXPECT_EQ(calls, 1);
}

TEST_P(DatabaseTest, ManyThreadsIncrementingNeverLoseAnUpdate) {
  ASSERT_THAT(SetCounter(0), IsOk());
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        absl::Status s = RunInTransaction(
            *db_, TxMode::kWrite,
            [](Transaction& tx) {
              ASSIGN_OR_RETURN(
                  ResultSet rows,
                  tx.QueryForUpdate("SELECT v FROM counters WHERE id = 1"));
              ASSIGN_OR_RETURN(int64_t v, rows.GetInt64(0, "v"));
              return tx
                  .Execute("UPDATE counters SET v = $1 WHERE id = 1", {v + 1})
                  .status();
            },
            50);
        if (!s.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(CounterValue().value_or(-1), kThreads * kEach);
}

// Statements are prepared once per connection and reused: each run must
// bind its own values, a statement that failed must be usable again, and
// more shapes than a connection keeps must still run.
TEST_P(DatabaseTest, ReusedStatementsBindTheirOwnValuesEachRun) {
  const std::string insert = "INSERT INTO notes (id, email) VALUES ($1, $2)";
  for (int64_t id : {1, 2, 3}) {
    ASSERT_THAT(
        RunInTransaction(
            *db_, TxMode::kWrite,
            [&](Transaction& tx) {
              return tx.Execute(insert, {id, absl::StrCat("n", id)}).status();
            }),
        IsOk());
  }
  // The same text failing half-way (a duplicate), then succeeding.
  EXPECT_THAT(
      RunInTransaction(
          *db_, TxMode::kWrite,
          [&](Transaction& tx) {
            return tx.Execute(insert, {int64_t{4}, std::string("n1")}).status();
          }),
      StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_THAT(
      RunInTransaction(
          *db_, TxMode::kWrite,
          [&](Transaction& tx) {
            return tx.Execute(insert, {int64_t{4}, std::string("n4")}).status();
          }),
      IsOk());

  auto tx = db_->Begin(TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto rows = (*tx)->Query("SELECT email FROM notes ORDER BY id");
  ASSERT_THAT(rows, IsOk());
  std::vector<std::string> emails;
  for (size_t i = 0; i < rows->size(); ++i) {
    emails.push_back(rows->GetString(i, "email").value_or("?"));
  }
  EXPECT_THAT(emails, ElementsAre("n1", "n2", "n3", "n4"));
}

TEST_P(DatabaseTest, MoreStatementShapesThanAConnectionKeepsStillRun) {
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(tx, IsOk());
  constexpr int kShapes = 450;  // more than twice what a connection keeps
  for (int round = 0; round < 2; ++round) {
    for (int k = 0; k < kShapes; ++k) {
      auto rows =
          (*tx)->Query(absl::StrCat("SELECT CAST($1 AS BIGINT) + ", k, " AS n"),
                       {int64_t{1000 * round}});
      ASSERT_THAT(rows, IsOk());
      ASSERT_EQ(rows->GetInt64(0, "n").value_or(-1), 1000 * round + k);
    }
  }
  if (GetParam() == Engine::kPostgres) {
    // Those let go of were deallocated on the server too.
    auto rows =
        (*tx)->Query("SELECT count(*) AS n FROM pg_prepared_statements");
    ASSERT_THAT(rows, IsOk());
    EXPECT_LE(rows->GetInt64(0, "n").value_or(-1), 250);
    EXPECT_GE(rows->GetInt64(0, "n").value_or(-1), 100);
  }
}

TEST_P(DatabaseTest, QueryAllRunsInOrderAndReturnsEachStatementsRows) {
  ASSERT_THAT(SetCounter(5), IsOk());
  const std::string insert = "INSERT INTO notes (id, email) VALUES ($1, $2)";
  // Twice over, so that the second pass runs statements prepared by the
  // first (and the first prepares one text used twice in one pipeline).
  for (int64_t pass : {0, 1}) {
    auto tx = db_->Begin(TxMode::kWrite);
    ASSERT_THAT(tx, IsOk());
    auto results = (*tx)->QueryAll(
        {{"SELECT v FROM counters WHERE id = $1", {int64_t{1}}, true},
         {insert, {10 * pass + 1, absl::StrCat("a", pass)}},
         {insert, {10 * pass + 2, absl::StrCat("b", pass)}},
         {"UPDATE counters SET v = v + 1 WHERE id = 1 RETURNING v", {}},
         {"SELECT COUNT(*) AS n FROM notes WHERE id > $1", {10 * pass}}});
    ASSERT_THAT(results, IsOk());
    ASSERT_EQ(results->size(), 5u);
    EXPECT_EQ((*results)[0].GetInt64(0, "v").value_or(-1), 5 + pass);
    EXPECT_TRUE((*results)[1].empty());
    EXPECT_EQ((*results)[3].GetInt64(0, "v").value_or(-1), 6 + pass);
    // Later statements see the earlier ones' writes.
    EXPECT_EQ((*results)[4].GetInt64(0, "n").value_or(-1), 2);
    ASSERT_THAT((*tx)->Commit(), IsOk());
  }
  EXPECT_EQ(CounterValue().value_or(-1), 7);
}

TEST_P(DatabaseTest, QueryAllStopsAtTheFirstFailureAndLeavesTheRestUndone) {
  ASSERT_THAT(SetCounter(1), IsOk());
  const std::string insert = "INSERT INTO notes (id, email) VALUES ($1, $2)";
  ASSERT_THAT(
      RunInTransaction(
          *db_, TxMode::kWrite,
          [&](Transaction& tx) {
            return tx.Execute(insert, {int64_t{1}, std::string("x")}).status();
          }),
      IsOk());
  {
    auto tx = db_->Begin(TxMode::kWrite);
    ASSERT_THAT(tx, IsOk());
    auto results = (*tx)->QueryAll(
        {{"UPDATE counters SET v = 50 WHERE id = 1", {}},
         {insert, {int64_t{2}, std::string("x")}},  // duplicate address
         {"UPDATE counters SET v = 60 WHERE id = 1", {}},
         {"SELEC nonsense", {}}});
    EXPECT_THAT(results, StatusIs(absl::StatusCode::kAlreadyExists));
    EXPECT_THAT((*tx)->Rollback(), IsOk());
  }
  EXPECT_EQ(CounterValue().value_or(-1), 1);
  // A statement that does not parse fails alone, and the connection is
  // still in step for the next transaction.
  {
    auto tx = db_->Begin(TxMode::kWrite);
    ASSERT_THAT(tx, IsOk());
    EXPECT_THAT(
        (*tx)->QueryAll({{"SELECT 1 AS n", {}}, {"SELEC nonsense", {}}}),
        StatusIs(absl::StatusCode::kInternal));
  }
  for (int i = 0; i < 4; ++i) {  // more than the pool's connections
    EXPECT_THAT(SetCounter(2 + i), IsOk());
    EXPECT_EQ(CounterValue().value_or(-1), 2 + i);
  }
}

TEST(ArrayLiteralTest, SpellsNullsNumbersAndQuotedTextAndRefusesBlobs) {
  EXPECT_EQ(ArrayLiteral({}).value_or("?"), "{}");
  EXPECT_EQ(ArrayLiteral({Null(), int64_t{-7}, std::string("a \"b\" \\c"),
                          std::string("NULL"), std::string("")})
                .value_or("?"),
            R"({NULL,-7,"a \"b\" \\c","NULL",""})");
  EXPECT_THAT(ArrayLiteral({Blob{"x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CopyTextTest, EscapesWhatCopyReadsAsStructureAndRefusesBlobs) {
  EXPECT_EQ(CopyText({}).value_or("?"), "");
  EXPECT_EQ(CopyText({{int64_t{-7}, Null(), std::string("a\tb\nc\rd\\e")},
                      {int64_t{1}, std::string(""), std::string("\\N")}})
                .value_or("?"),
            "-7\t\\N\ta\\tb\\nc\\rd\\\\e\n1\t\t\\\\N\n");
  EXPECT_THAT(CopyText({{Blob{"x"}}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(DatabaseTest, BulkInsertStoresEachValueAsGiven) {
  const std::vector<std::string> texts = {
      "plain", "tab\there", "line\nbreak\r\n", "back\\slash\\", "\\N",
      "NULL",  "",          "Zoë ✓",           "{a,b}",         "O'Brien"};
  // More rows than one SQLite statement binds, so that it takes several.
  std::vector<Params> rows;
  for (int64_t i = 0; i < 7000; ++i) {
    const bool missing = i % 11 == 10;
    rows.push_back(
        {i, missing ? Null() : Value(texts[i % texts.size()]),
         i % 3 == 0 ? Value(0.25 * static_cast<double>(i)) : Null()});
  }
  ASSERT_THAT(RunInTransaction(*db_, TxMode::kWrite,
                               [&](Transaction& tx) {
                                 return tx.BulkInsert("notes",
                                                      "id, body, score", rows);
                               }),
              IsOk());
  auto tx = db_->Begin(TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto stored = (*tx)->Query(
      "SELECT id, body, body IS NULL AS missing, score FROM notes ORDER BY id");
  ASSERT_THAT(stored, IsOk());
  ASSERT_EQ(stored->size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(stored->GetInt64(i, "id").value_or(-1), static_cast<int64_t>(i));
    if (i % 11 == 10) {
      EXPECT_EQ(stored->GetInt64(i, "missing").value_or(0), 1) << i;
    } else {
      EXPECT_EQ(stored->GetString(i, "body").value_or("?"),
                texts[i % texts.size()])
          << i;
    }
    if (i % 3 == 0) {
      EXPECT_EQ(stored->GetDouble(i, "score").value_or(-1), 0.25 * i) << i;
    }
  }
}

// Numbers come back in row order (arrival order), one per row, however
// the engine hands out RETURNING rows, and later inserts number higher.
TEST_P(DatabaseTest, InsertNumberedReturnsEachRowsNumberInRowOrder) {
  auto insert = [this](int first, int count) {
    std::vector<Params> rows;
    for (int i = first; i < first + count; ++i) {
      rows.push_back({absl::StrCat("code-", 10000 - i), absl::StrCat("h", i)});
    }
    std::vector<int64_t> numbers;
    absl::Status done =
        RunInTransaction(*db_, TxMode::kWrite, [&](Transaction& tx) {
          ASSIGN_OR_RETURN(
              numbers, tx.InsertNumbered("tickets", "code, holder", rows, "seq",
                                         "tickets_seq_seq"));
          return absl::OkStatus();
        });
    EXPECT_THAT(done, IsOk());
    return numbers;
  };
  // More rows than one SQLite statement binds, so that it takes several.
  const std::vector<int64_t> first = insert(0, 16000);
  const std::vector<int64_t> second = insert(16000, 3);

  ASSERT_EQ(first.size(), 16000u);
  ASSERT_EQ(second.size(), 3u);
  EXPECT_TRUE(std::is_sorted(first.begin(), first.end()));
  EXPECT_EQ(std::adjacent_find(first.begin(), first.end()), first.end());
  EXPECT_GT(second.front(), first.back());
  auto tx = db_->Begin(TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto stored = (*tx)->Query("SELECT seq, holder FROM tickets ORDER BY seq");
  ASSERT_THAT(stored, IsOk());
  ASSERT_EQ(stored->size(), 16003u);
  for (size_t i : {size_t{0}, size_t{7777}, size_t{15999}}) {
    EXPECT_EQ(stored->GetInt64(i, "seq").value_or(-1), first[i]);
    EXPECT_EQ(stored->GetString(i, "holder").value_or(""),
              absl::StrCat("h", i));
  }
}

// Many keys at once: only the matching rows, under the extra condition,
// whatever the number of keys (the text is the same on PostgreSQL).
TEST_P(DatabaseTest, LookUpManyFindsTheKeysThatMatch) {
  std::vector<Params> rows;
  for (int64_t i = 0; i < 50; ++i) {
    rows.push_back({i, absl::StrCat("n", i), absl::StrCat("u", i, "@x.uk")});
  }
  ASSERT_THAT(RunInTransaction(*db_, TxMode::kWrite,
                               [&](Transaction& tx) {
                                 return tx.BulkInsert("notes",
                                                      "id, body, email", rows);
                               }),
              IsOk());
  auto tx = db_->Begin(TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  const Statement some =
      LookUpMany(GetParam(),
                 {.columns = "id, email",
                  .table = "notes",
                  .key_column = "email",
                  .condition = "id < $1",
                  .params = {int64_t{10}}},
                 {"u3@x.uk", "u12@x.uk", "nobody@x.uk", "u7@x.uk"});
  const Statement one = LookUpMany(
      GetParam(), {.columns = "id", .table = "notes", .key_column = "email"},
      {"u42@x.uk"});
  auto found = (*tx)->Query(some.sql, some.params);
  auto alone = (*tx)->Query(one.sql, one.params);

  ASSERT_THAT(found, IsOk());
  ASSERT_THAT(alone, IsOk());
  std::set<int64_t> ids;
  for (size_t i = 0; i < found->size(); ++i) {
    ids.insert(found->GetInt64(i, "id").value_or(-1));
  }
  EXPECT_EQ(ids, (std::set<int64_t>{3, 7}));  // 12 fails the condition
  ASSERT_EQ(alone->size(), 1u);
  EXPECT_EQ(alone->GetInt64(0, "id").value_or(-1), 42);
  if (GetParam() == Engine::kPostgres) {
    const Statement many = LookUpMany(
        GetParam(), {.columns = "id", .table = "notes", .key_column = "email"},
        {"a", "b", "c"});
    EXPECT_EQ(many.sql, one.sql);
  }
}

// Byte order, not the collation's: upper case before lower, accents last.
TEST_P(DatabaseTest, BytewiseOrdersAsCppCompares) {
  std::vector<Params> rows;
  const std::vector<std::string> bodies = {"b", "B", "é", "a", "Z"};
  for (size_t i = 0; i < bodies.size(); ++i) {
    rows.push_back({static_cast<int64_t>(i), bodies[i]});
  }
  ASSERT_THAT(RunInTransaction(*db_, TxMode::kWrite,
                               [&](Transaction& tx) {
                                 return tx.BulkInsert("notes", "id, body",
                                                      rows);
                               }),
              IsOk());
  auto tx = db_->Begin(TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto sorted = (*tx)->Query(absl::StrCat("SELECT body FROM notes ORDER BY ",
                                          Bytewise(GetParam(), "body")));
  ASSERT_THAT(sorted, IsOk());
  std::vector<std::string> got;
  for (size_t i = 0; i < sorted->size(); ++i) {
    got.push_back(sorted->GetString(i, "body").value_or(""));
  }
  std::vector<std::string> expected = bodies;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);
}

// One holder of a lock at a time on PostgreSQL; SQLite's single writer
// needs none and always grants it.
TEST_P(DatabaseTest, TryLockIsHeldByOneTransactionAtATime) {
  auto first = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ((*first)->TryLock(77).value_or(false), true);
  if (db_->HasSingleWriter()) {
    EXPECT_EQ(GetParam(), Engine::kSqlite);
    return;  // a second writer would wait for the first: nothing to race
  }
  auto second = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ((*second)->TryLock(77).value_or(true), false);
  EXPECT_EQ((*second)->TryLock(78).value_or(false), true);
  ASSERT_THAT((*first)->Commit(), IsOk());
  auto third = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ((*third)->TryLock(77).value_or(false), true);
}

TEST_P(DatabaseTest, BulkInsertFailsWholeOnAClashAndRefusesBadRows) {
  auto insert = [this](std::vector<Params> rows) {
    return RunInTransaction(*db_, TxMode::kWrite, [&](Transaction& tx) {
      return tx.BulkInsert("notes", "id, email", rows);
    });
  };
  ASSERT_THAT(insert({{int64_t{1}, std::string("a")}}), IsOk());
  // The second row clashes with the stored one: the first is not kept.
  EXPECT_THAT(
      insert({{int64_t{2}, std::string("b")}, {int64_t{3}, std::string("a")}}),
      StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(insert({{int64_t{4}}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(insert({{int64_t{5}, Blob{"x"}}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Nothing of the failed ones is stored, and every pooled connection is
  // still in step.
  for (int i = 0; i < 4; ++i) {
    auto tx = db_->Begin(TxMode::kRead);
    ASSERT_THAT(tx, IsOk());
    auto ids = (*tx)->Query("SELECT id FROM notes ORDER BY id");
    ASSERT_THAT(ids, IsOk());
    ASSERT_EQ(ids->size(), 1u);
    EXPECT_EQ(ids->GetInt64(0, "id").value_or(-1), 1);
  }
}

TRAINING_ON_BOTH_ENGINES(DatabaseTest);

}  // namespace
}  // namespace training::sql
