#include <signal.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/events/events_test_fixture.h"
#include "common/events/retention.h"
#include "common/sql/testing/engines.h"
#include "common/testing/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::events {
namespace {

using ::testing::HasSubstr;

TEST_P(EventsTest, OutboxToStreamToConsumerEndToEnd) {
  WriteEvents(3);
  OutboxRelay relay(db_.get(), redis_.get());
  StreamConsumer consumer(db_.get(), redis_.get(),
                          Options("c1", absl::Hours(1)),
                          testing::CountEffect());
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());

  auto published = relay.PublishOnce();
  auto again = relay.PublishOnce();
  auto acked = consumer.PollOnce();

  EXPECT_EQ(published.value_or(-1), 3);
  EXPECT_EQ(again.value_or(-1), 0);
  EXPECT_EQ(acked.value_or(-1), 3);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM effects WHERE n = 1"), 3);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM outbox WHERE sent_at_us IS NULL"),
            0);
  EXPECT_EQ(Pending("g"), 0);
  EXPECT_EQ(relay.OldestUnsentAge().value_or(absl::InfiniteDuration()),
            absl::ZeroDuration());
}

TEST_P(EventsTest, TheCommittedHookRunsAfterEachCommitAndNotOnFailure) {
  WriteEvents(2, "fail");
  OutboxRelay relay(db_.get(), redis_.get());
  bool fail = true;
  std::vector<int64_t> effects_seen;  // committed effects, read by the hook
  StreamConsumer consumer(
      db_.get(), redis_.get(), Options("c1", absl::ZeroDuration()),
      testing::CountEffect(&fail), [&](const Event&) {
        effects_seen.push_back(Scalar("SELECT COUNT(*) AS v FROM effects"));
      });
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());
  ASSERT_EQ(relay.PublishOnce().value_or(-1), 2);

  auto failed = consumer.PollOnce();
  EXPECT_EQ(failed.value_or(-1), 0);
  EXPECT_TRUE(effects_seen.empty());  // nothing committed, nothing run

  fail = false;  // the failed entries are reclaimed at once (no idle wait)
  EXPECT_EQ(consumer.PollOnce().value_or(-1), 2);
  // From another connection, each run saw its own event's effect
  // committed: the hook ran after the commit, once per event.
  EXPECT_THAT(effects_seen, ::testing::ElementsAre(1, 2));
}

TEST_P(EventsTest, ATransactionsEventsShareARowAndArePublishedOneByOne) {
  // Two transactions of 3 and 2 events, then one of a single event.
  std::vector<std::string> ids;
  for (int size : {3, 2, 1}) {
    ASSERT_THAT(sql::RunInTransaction(
                    *db_, sql::TxMode::kWrite,
                    [&](sql::Transaction& tx) -> absl::Status {
                      std::vector<Event> events(size);
                      for (Event& e : events) {
                        e.set_id(absl::StrCat("e", ids.size()));
                        e.set_subject(absl::StrCat("things/", ids.size()));
                        ids.push_back(e.id());
                      }
                      return WriteToOutbox(tx, kStream, std::move(events));
                    }),
                IsOk());
  }
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM outbox"), 3);
  EXPECT_EQ(Scalar("SELECT SUM(event_count) AS v FROM outbox"), 6);
  {
    auto tx = db_->Begin(sql::TxMode::kRead);
    ASSERT_THAT(tx, IsOk());
    auto stored = ReadOutbox(**tx);
    ASSERT_THAT(stored, IsOk());
    std::vector<std::string> stored_ids;
    for (const Event& e : *stored) {
      stored_ids.push_back(e.id());
      EXPECT_EQ(e.subject(), absl::StrCat("things/", e.id().substr(1)));
    }
    EXPECT_EQ(stored_ids, ids);
  }

  // A pass takes whole rows, up to batch_size events but at least one row:
  // 2 events allowed takes the row of 3, then the row of 2, then the last.
  OutboxRelay relay(db_.get(), redis_.get(), {.batch_size = 2});
  EXPECT_EQ(relay.PublishOnce().value_or(-1), 3);
  EXPECT_EQ(relay.PublishOnce().value_or(-1), 2);
  EXPECT_EQ(relay.PublishOnce().value_or(-1), 1);
  EXPECT_EQ(relay.PublishOnce().value_or(-1), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM outbox WHERE sent_at_us IS NULL"),
            0);

  // One stream entry per event, in order, each under its own id with a
  // payload that parses to that event.
  auto entries = redis_->Command({"XRANGE", kStream, "-", "+"});
  ASSERT_THAT(entries, IsOk());
  std::vector<std::string> published_ids;
  for (const auto& entry : entries->elements) {
    const auto& fields = entry.elements[1].elements;
    std::string id;
    Event payload;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "id") id = fields[i + 1].str;
      if (fields[i].str == "payload") {
        EXPECT_TRUE(payload.ParseFromString(fields[i + 1].str));
      }
    }
    EXPECT_EQ(payload.id(), id);
    published_ids.push_back(id);
  }
  EXPECT_EQ(published_ids, ids);
}

TEST(OutboxPayloadTest, ARowThatDoesNotMatchItsCountIsDataLoss) {
  Event a, b;
  a.set_id("a");
  b.set_id("b");
  std::string two;
  for (const Event& e : {a, b}) {
    const std::string bytes = e.SerializeAsString();
    two += static_cast<char>(bytes.size());  // one-byte varint: short events
    two += bytes;
  }
  auto unpacked = UnpackOutboxPayload(two, 2);
  ASSERT_THAT(unpacked, IsOk());
  ASSERT_EQ(unpacked->size(), 2u);
  EXPECT_EQ((*unpacked)[1].id(), "b");

  EXPECT_EQ(UnpackOutboxPayload(two, 3).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(UnpackOutboxPayload(two + "x", 2).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      UnpackOutboxPayload(two.substr(0, two.size() - 1), 2).status().code(),
      absl::StatusCode::kDataLoss);
}

TEST_P(EventsTest,
       RelayKilledBetweenXaddAndMarkingSentDuplicatesButLosesNothing) {
  WriteEvents(5);
  const std::string dir = training::testing::MakeTempDir("relay-crash");

  training::testing::ChildProcess relay_process(
      EVENTS_TEST_HELPER, {"relay", db_url_, redis_server_.url()},
      {{"TRAINING_CRASH_AT", "relay.after_xadd"}}, dir + "/relay.log");
  EXPECT_EQ(relay_process.Wait(kWatchdog),
            std::nullopt);  // killed, no exit code

  EXPECT_EQ(Redis({"XLEN", kStream}), 5);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM outbox WHERE sent_at_us IS NULL"),
            5);
  OutboxRelay relay(db_.get(), redis_.get());
  EXPECT_EQ(relay.PublishOnce().value_or(-1), 5);
  EXPECT_EQ(Redis({"XLEN", kStream}), 10);

  StreamConsumer consumer(db_.get(), redis_.get(),
                          Options("c1", absl::Hours(1)),
                          testing::CountEffect());
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());
  EXPECT_EQ(consumer.PollOnce().value_or(-1), 10);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM effects"), 5);
  EXPECT_EQ(Scalar("SELECT MAX(n) AS v FROM effects"), 1);
}

TEST_P(EventsTest, PublishedRowsArePrunedAfterKeepSentAndUnsentNever) {
  WriteEvents(5);
  OutboxRelay keeping(db_.get(), redis_.get(),
                      {.batch_size = 200, .keep_sent = absl::Hours(1)});
  ASSERT_THAT(keeping.PublishOnce(), IsOk());
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM outbox"), 5)
      << "sent an hour ago at the earliest: kept";

  WriteEvents(3);
  OutboxRelay pruning(db_.get(), redis_.get(),
                      {.batch_size = 200, .keep_sent = absl::ZeroDuration()});
  ASSERT_THAT(pruning.PublishOnce(), IsOk());
  absl::SleepFor(absl::Milliseconds(2));
  ASSERT_THAT(pruning.PublishOnce(), IsOk());

  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM outbox"), 0);
  EXPECT_EQ(Redis({"XLEN", kStream}), 8) << "each published once";

  WriteEvents(3);
  OutboxRelay one_at_a_time(
      db_.get(), redis_.get(),
      {.batch_size = 1, .keep_sent = absl::ZeroDuration()});
  ASSERT_THAT(one_at_a_time.PublishOnce(), IsOk());
  absl::SleepFor(absl::Milliseconds(2));
  ASSERT_THAT(one_at_a_time.PublishOnce(), IsOk());
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM outbox WHERE sent_at_us IS NULL"),
            1)
      << "the unsent row stays";
  EXPECT_EQ(Redis({"XLEN", kStream}), 10);
}

TEST_P(EventsTest, ConsumerKilledBeforeAckIsReclaimedAndTheEffectHappensOnce) {
  WriteEvents(1);
  OutboxRelay relay(db_.get(), redis_.get());
  ASSERT_EQ(relay.PublishOnce().value_or(-1), 1);
  StreamConsumer consumer(db_.get(), redis_.get(),
                          Options("survivor", absl::ZeroDuration()),
                          testing::CountEffect());
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());
  const std::string dir = training::testing::MakeTempDir("consumer-crash");

  training::testing::ChildProcess doomed(
      EVENTS_TEST_HELPER,
      {"consume", db_url_, redis_server_.url(), kStream, "g", "doomed"},
      {{"TRAINING_CRASH_AT", "consumer.before_ack"}}, dir + "/consume.log");
  EXPECT_EQ(doomed.Wait(kWatchdog), std::nullopt);
  EXPECT_EQ(Scalar("SELECT MAX(n) AS v FROM effects"), 1);
  EXPECT_EQ(Pending("g"), 1);

  EXPECT_EQ(consumer.PollOnce().value_or(-1), 1);
  EXPECT_EQ(Pending("g"), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM effects"), 1);
  EXPECT_EQ(Scalar("SELECT MAX(n) AS v FROM effects"), 1);
}

TEST_P(EventsTest, TrimWhileEntriesArePendingLosesNoneOfThem) {
  WriteEvents(5, "ok");
  WriteEvents(5, "fail");
  OutboxRelay relay(db_.get(), redis_.get());
  ASSERT_EQ(relay.PublishOnce().value_or(-1), 10);
  bool fail = true;
  StreamConsumer first(db_.get(), redis_.get(), Options("c1", absl::Hours(1)),
                       testing::CountEffect(&fail));
  ASSERT_THAT(first.EnsureGroup(), IsOk());
  ASSERT_EQ(first.PollOnce().value_or(-1), 5);
  ASSERT_EQ(Pending("g"), 5);

  auto trimmed = TrimStream(*redis_, kStream, absl::InfiniteFuture());

  ASSERT_THAT(trimmed, IsOk());
  EXPECT_EQ(*trimmed, 5);
  EXPECT_EQ(Redis({"XLEN", kStream}), 5);
  fail = false;
  StreamConsumer rescuer(db_.get(), redis_.get(),
                         Options("c2", absl::ZeroDuration()),
                         testing::CountEffect(&fail));
  EXPECT_EQ(rescuer.PollOnce().value_or(-1), 5);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM effects"), 10);
  EXPECT_EQ(Pending("g"), 0);
}

TEST_P(EventsTest,
       PoisonAndExhaustedEntriesGoToTheDeadLetterStreamWithReasons) {
  ASSERT_THAT(redis_->Command({"XADD", kStream, "*", "id", "x", "payload",
                               "\xff\x01garbage"}),
              IsOk());
  WriteEvents(1, "fail");
  OutboxRelay relay(db_.get(), redis_.get());
  ASSERT_EQ(relay.PublishOnce().value_or(-1), 1);
  bool fail = true;
  StreamConsumer consumer(db_.get(), redis_.get(),
                          Options("c1", absl::ZeroDuration()),
                          testing::CountEffect(&fail));
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());

  for (int i = 0; i < 10 && Redis({"XLEN", std::string(kStream) + ".dead"}) < 2;
       ++i) {
    ASSERT_THAT(consumer.PollOnce(), IsOk());
  }

  auto dead =
      redis_->Command({"XRANGE", std::string(kStream) + ".dead", "-", "+"});
  ASSERT_THAT(dead, IsOk());
  ASSERT_EQ(dead->elements.size(), 2u);
  std::string reasons;
  for (const auto& entry : dead->elements) {
    const auto& fields = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "reason") reasons += fields[i + 1].str + "|";
    }
  }
  EXPECT_THAT(reasons, HasSubstr("payload does not parse"));
  EXPECT_THAT(reasons, HasSubstr("refused by the test handler"));
  EXPECT_EQ(Pending("g"), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM effects"), 0);
}

TEST_P(EventsTest, TenThousandEventsThroughTwoConsumersTakeEffectExactlyOnce) {
  constexpr int kEvents = 10000;
  WriteEvents(kEvents);
  OutboxRelay relay(db_.get(), redis_.get(), RelayOptions{.batch_size = 500});
  int published = 0;
  while (true) {
    auto n = relay.PublishOnce();
    ASSERT_THAT(n, IsOk());
    if (*n == 0) break;
    published += *n;
  }
  ASSERT_EQ(published, kEvents);

  std::atomic<int> acked{0};
  std::atomic<bool> failed{false};
  auto run = [&](const std::string& name) {
    auto client = redis::RedisClient::Create(redis_server_.url());
    if (!client.ok()) {
      failed = true;
      return;
    }
    StreamConsumer consumer(db_.get(), client->get(),
                            Options(name, absl::Hours(1)),
                            testing::CountEffect());
    if (!consumer.EnsureGroup().ok()) failed = true;
    for (absl::Time end = absl::Now() + kWatchdog;
         acked.load() < kEvents && absl::Now() < end && !failed;) {
      auto n = consumer.PollOnce();
      if (!n.ok()) {
        failed = true;
        return;
      }
      acked += *n;
    }
  };
  std::thread a(run, "a");
  std::thread b(run, "b");
  a.join();
  b.join();

  EXPECT_FALSE(failed);
  EXPECT_EQ(acked.load(), kEvents);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM effects"), kEvents);
  EXPECT_EQ(Scalar("SELECT MAX(n) AS v FROM effects"), 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM processed_events"), kEvents);
  EXPECT_EQ(Pending("g"), 0);
}

TRAINING_ON_BOTH_ENGINES(EventsTest);

}  // namespace
}  // namespace training::events
