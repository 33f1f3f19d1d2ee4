// The relay where transactions commit in any order (PostgreSQL): a row
// whose transaction commits while a pass is publishing has a seq between
// rows the pass read, and must be published by a later pass, never marked
// sent without being published.

#include <algorithm>
#include <atomic>
#include <iterator>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/events/events_test_fixture.h"
#include "common/sql/testing/engines.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::events {
namespace {

class OutboxRelayTest : public EventsTest {
 protected:
  // The `id` field of every entry of the test stream, in stream order.
  std::vector<std::string> PublishedIds() {
    std::vector<std::string> ids;
    auto entries = redis_->Command({"XRANGE", kStream, "-", "+"});
    EXPECT_THAT(entries, IsOk());
    if (!entries.ok()) return ids;
    for (const auto& entry : entries->elements) {
      const auto& fields = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str == "id") ids.push_back(fields[i + 1].str);
      }
    }
    return ids;
  }

  void WriteEvent(const std::string& id) {
    ASSERT_THAT(sql::RunInTransaction(*db_, sql::TxMode::kWrite,
                                      [&](sql::Transaction& tx) {
                                        Event e;
                                        e.set_id(id);
                                        return WriteToOutbox(tx, kStream, e);
                                      }),
                IsOk());
  }
};

// Only PostgreSQL lets a second writer commit while a write transaction
// is open; SQLite has one writer, so its seqs commit in order.
class OutboxRelayOnPostgresTest : public OutboxRelayTest {};

TEST_P(OutboxRelayOnPostgresTest,
       ARowCommittedDuringAPassIsPublishedByTheNextPassNotMarkedSent) {
  WriteEvent("first");
  auto held = db_->Begin(sql::TxMode::kWrite);
  ASSERT_THAT(held, IsOk());
  Event middle;
  middle.set_id("held");
  ASSERT_THAT(WriteToOutbox(**held, kStream, middle), IsOk());
  WriteEvent("third");
  OutboxRelay relay(db_.get(), redis_.get());
  // The held transaction commits after the pass read rows 1 and 3 and
  // published them, before it marks them sent.
  bool committed = false;
  relay.SetAfterPublishHookForTest([&] {
    if (committed) return;
    committed = true;
    EXPECT_THAT((*held)->Commit(), IsOk());
  });

  auto first_pass = relay.PublishOnce();
  auto second_pass = relay.PublishOnce();

  ASSERT_TRUE(committed);
  EXPECT_EQ(first_pass.value_or(-1), 2);
  EXPECT_EQ(second_pass.value_or(-1), 1) << "the held row, published late";
  EXPECT_THAT(PublishedIds(), ::testing::ElementsAre("first", "third", "held"));
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM outbox WHERE sent_at_us IS NULL"),
            0);
}

INSTANTIATE_TEST_SUITE_P(Postgres, OutboxRelayOnPostgresTest,
                         sql::testing::PostgresOnly(),
                         sql::testing::EngineParamName());

// Writers commit in an order unrelated to their seqs while the relay
// publishes in the background: every event written reaches the stream,
// and nothing else does.
TEST_P(OutboxRelayTest, ConcurrentWritersLoseNoEventThroughTheRelay) {
  constexpr int kWriters = 8;
  constexpr int kTransactionsEach = 300;
  // Enough connections for every writer and the relay at once.
  auto db = sql::Database::Open(
      db_url_ + (GetParam() == sql::Engine::kPostgres ? "?pool_size=12" : ""));
  ASSERT_THAT(db, IsOk());
  OutboxRelay relay(db->get(), redis_.get(),
                    {.batch_size = 20, .poll_interval = absl::Milliseconds(1)});
  // A pass that takes a while between publishing and marking, as one does
  // when Redis is slow to answer, gives commits time to land in between.
  relay.SetAfterPublishHookForTest(
      [] { absl::SleepFor(absl::Milliseconds(1)); });
  relay.Start();
  absl::Mutex mu;
  std::set<std::string> written;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int t = 0; t < kTransactionsEach; ++t) {
        std::vector<std::string> ids;
        absl::Status status = sql::RunInTransaction(
            **db, sql::TxMode::kWrite, [&](sql::Transaction& tx) {
              ids.clear();
              std::vector<Event> events(1 + (w + t) % 3);
              for (size_t i = 0; i < events.size(); ++i) {
                events[i].set_id(absl::StrCat("w", w, "-t", t, "-e", i));
                ids.push_back(events[i].id());
              }
              RETURN_IF_ERROR(WriteToOutbox(tx, kStream, std::move(events)));
              // More work between taking a seq and committing, so that
              // later seqs often commit first.
              return tx.Query("SELECT COUNT(*) AS v FROM outbox").status();
            });
        if (!status.ok()) {
          ++failures;
          continue;
        }
        absl::MutexLock lock(&mu);
        written.insert(ids.begin(), ids.end());
      }
    });
  }
  for (auto& writer : writers) writer.join();
  for (absl::Time end = absl::Now() + kWatchdog;
       Scalar("SELECT COUNT(*) AS v FROM outbox WHERE sent_at_us IS NULL") !=
           0 &&
       absl::Now() < end;) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  relay.Stop();

  const std::vector<std::string> published = PublishedIds();
  const std::set<std::string> distinct(published.begin(), published.end());
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(written.size(), static_cast<size_t>(kWriters * kTransactionsEach *
                                                2));  // 1, 2, 3 events
  std::vector<std::string> lost, invented;
  std::set_difference(written.begin(), written.end(), distinct.begin(),
                      distinct.end(), std::back_inserter(lost));
  std::set_difference(distinct.begin(), distinct.end(), written.begin(),
                      written.end(), std::back_inserter(invented));
  EXPECT_EQ(lost.size(), 0u)
      << "never published, e.g. " << (lost.empty() ? "" : lost.front());
  EXPECT_EQ(invented.size(), 0u);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM outbox WHERE sent_at_us IS NULL"),
            0);
}

TRAINING_ON_BOTH_ENGINES(OutboxRelayTest);

}  // namespace
}  // namespace training::events
