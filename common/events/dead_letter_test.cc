// What goes to the dead letters and what comes back: only a verdict on an
// event (or a consumer that died on it) counts towards setting it aside,
// never an outage; and a dead letter is put back for its own group.

#include "absl/strings/str_cat.h"
#include "common/events/dead_letters.h"
#include "common/events/events_test_fixture.h"
#include "common/sql/testing/engines.h"
#include "common/sql/testing/postgres_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::events {
namespace {

using ::testing::HasSubstr;

class DeadLetterTest : public EventsTest {
 protected:
  // A handler that fails with `failure` while `*failing` holds, counting
  // its effect per event otherwise.
  static EventHandler FailingWhile(const int* failing, absl::Status failure) {
    EventHandler count = testing::CountEffect();
    return [failing, failure, count](sql::Transaction& tx, const Event& e) {
      if (*failing > 0) return failure;
      return count(tx, e);
    };
  }

  int64_t DeadLetters() {
    return Redis({"XLEN", std::string(kStream) + ".dead"});
  }
};

// The handler answers UNAVAILABLE ten times running (the database down for
// as long as it takes): far more deliveries than max_deliveries (3), and
// the event is still handled, once, when the outage ends.
TEST_P(DeadLetterTest, TransientFailuresNeverDeadLetterAnEvent) {
  WriteEvents(1);
  OutboxRelay relay(db_.get(), redis_.get());
  ASSERT_EQ(relay.PublishOnce().value_or(-1), 1);
  int failing = 1;
  StreamConsumer consumer(
      db_.get(), redis_.get(), Options("c1", absl::ZeroDuration()),
      FailingWhile(&failing, absl::UnavailableError("database down")));
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());

  for (int i = 0; i < 10; ++i) ASSERT_THAT(consumer.PollOnce(), IsOk());
  failing = 0;
  ASSERT_THAT(consumer.PollOnce(), IsOk());

  EXPECT_EQ(DeadLetters(), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM effects WHERE n = 1"), 1);
  EXPECT_EQ(Pending("g"), 0);
  EXPECT_EQ(Redis({"HLEN", std::string(kStream) + ".retries.g"}), 0)
      << "the tally goes with the acknowledgement";
}

// An entry failing transiently for longer than give_up_after (7 days) is
// set aside after all, saying why, so that it cannot pin its group's
// trimming for ever; it can be replayed once the cause is gone.
TEST_P(DeadLetterTest, AnEntryFailingTransientlyForAWeekIsSetAside) {
  WriteEvents(1);
  OutboxRelay relay(db_.get(), redis_.get());
  ASSERT_EQ(relay.PublishOnce().value_or(-1), 1);
  FakeClock clock(absl::Now());
  ConsumerOptions options = Options("c1", absl::ZeroDuration());
  options.clock = &clock;
  int failing = 1;
  StreamConsumer consumer(
      db_.get(), redis_.get(), options,
      FailingWhile(&failing, absl::UnavailableError("catalogue down")));
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());
  for (int i = 0; i < 5; ++i) ASSERT_THAT(consumer.PollOnce(), IsOk());
  ASSERT_EQ(DeadLetters(), 0) << "an outage of hours sets nothing aside";

  clock.Advance(absl::Hours(24 * 7 + 1));
  ASSERT_THAT(consumer.PollOnce(), IsOk());

  auto letters = ListDeadLetters(*redis_, kStream, absl::InfinitePast());
  ASSERT_THAT(letters, IsOk());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_THAT((*letters)[0].reason, HasSubstr("still failing 169h"));
  EXPECT_THAT((*letters)[0].reason, HasSubstr("catalogue down"));
  EXPECT_EQ(Pending("g"), 0);
}

// Consumers that took the entry and died without an answer (delivered
// three times, never acknowledged): it is set aside after max_deliveries,
// so that a poison event cannot crash consumers for ever.
// An event the handler refuses as out of range (INVALID_ARGUMENT) cannot
// get better by retrying: it is set aside on its first delivery, with the
// handler's reason, and has no effect.
TEST_P(DeadLetterTest, AnOutOfRangeEventIsSetAsideAtOnceWithItsReason) {
  WriteEvents(1);
  OutboxRelay relay(db_.get(), redis_.get());
  ASSERT_EQ(relay.PublishOnce().value_or(-1), 1);
  int failing = 1;
  StreamConsumer consumer(
      db_.get(), redis_.get(), Options("c1", absl::ZeroDuration()),
      FailingWhile(&failing, absl::InvalidArgumentError(
                                 "session out of range: capacity: must be 1 "
                                 "to 10000")));
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());

  ASSERT_THAT(consumer.PollOnce(), IsOk());

  auto letters = ListDeadLetters(*redis_, kStream, absl::InfinitePast());
  ASSERT_THAT(letters, IsOk());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_THAT(letters->front().reason, HasSubstr("capacity: must be 1"));
  EXPECT_EQ(Pending("g"), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM effects"), 0);
}

TEST_P(DeadLetterTest, AnEntryThatKillsItsConsumersIsSetAsideAfterMax) {
  WriteEvents(1);
  OutboxRelay relay(db_.get(), redis_.get());
  ASSERT_EQ(relay.PublishOnce().value_or(-1), 1);
  StreamConsumer consumer(db_.get(), redis_.get(),
                          Options("survivor", absl::ZeroDuration()),
                          testing::CountEffect());
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());
  auto read = redis_->Command({"XREADGROUP", "GROUP", "g", "doomed1", "COUNT",
                               "1", "STREAMS", kStream, ">"});
  ASSERT_THAT(read, IsOk());
  const std::string entry =
      read->elements[0].elements[1].elements[0].elements[0].str;
  for (const char* next : {"doomed2", "doomed3"}) {
    ASSERT_THAT(redis_->Command({"XCLAIM", kStream, "g", next, "0", entry}),
                IsOk());
  }

  ASSERT_THAT(consumer.PollOnce(), IsOk());

  auto letters = ListDeadLetters(*redis_, kStream, absl::InfinitePast());
  ASSERT_THAT(letters, IsOk());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].original_id, entry);
  EXPECT_EQ((*letters)[0].group, "g");
  EXPECT_THAT((*letters)[0].reason, HasSubstr("after 3 deliveries"));
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM effects"), 0);
  EXPECT_EQ(Pending("g"), 0);
}

// Group g refuses an event that group h handles; g's dead letter is
// replayed once the cause is fixed: g handles it, h does not again, and
// the dead letters are empty.
TEST_P(DeadLetterTest, ADeadLetterIsReplayedForItsOwnGroupOnly) {
  WriteEvents(1, "fail");
  OutboxRelay relay(db_.get(), redis_.get());
  ASSERT_EQ(relay.PublishOnce().value_or(-1), 1);
  bool fail = true;
  ConsumerOptions g = Options("g1", absl::ZeroDuration());
  ConsumerOptions h = g;
  h.group = "h";
  h.consumer = "h1";
  StreamConsumer refusing(db_.get(), redis_.get(), g,
                          testing::CountEffect(&fail));
  StreamConsumer other(db_.get(), redis_.get(), h, testing::CountEffect());
  ASSERT_THAT(refusing.EnsureGroup(), IsOk());
  ASSERT_THAT(other.EnsureGroup(), IsOk());
  ASSERT_THAT(other.PollOnce(), IsOk());
  for (int i = 0; i < 5 && DeadLetters() == 0; ++i) {
    ASSERT_THAT(refusing.PollOnce(), IsOk());
  }
  ASSERT_EQ(DeadLetters(), 1);
  auto letters = ListDeadLetters(*redis_, kStream, absl::InfinitePast());
  ASSERT_THAT(letters, IsOk());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].type, "fail");
  EXPECT_THAT((*letters)[0].reason, HasSubstr("refused by the test handler"));
  fail = false;
  // A letter naming no group can be addressed to nobody: it stays.
  ASSERT_THAT(redis_->Command({"XADD", std::string(kStream) + ".dead", "*",
                               "reason", "written by hand", "id", "e-x"}),
              IsOk());

  auto for_nobody = ReplayDeadLetters(*redis_, kStream, absl::InfinitePast(),
                                      "no-such-group");
  auto replayed = ReplayDeadLetters(*redis_, kStream, absl::InfinitePast());
  ASSERT_THAT(refusing.PollOnce(), IsOk());
  ASSERT_THAT(other.PollOnce(), IsOk());

  EXPECT_EQ(for_nobody.value_or(-1), 0);
  EXPECT_EQ(replayed.value_or(-1), 1);
  EXPECT_EQ(DeadLetters(), 1) << "the one naming no group";
  EXPECT_EQ(Scalar("SELECT MAX(n) AS v FROM effects"), 2) << "once per group";
  EXPECT_EQ(Pending("g"), 0);
  EXPECT_EQ(Pending("h"), 0);
}

TRAINING_ON_BOTH_ENGINES(DeadLetterTest);

// The consumer's own PostgreSQL stops answering (every process frozen)
// for many claim rounds: nothing is dead-lettered, and the event takes
// effect once the database answers again.
TEST(DeadLetterOutageTest, ADatabaseOutageDeadLettersNothing) {
  redis::testing::RedisServer redis_server;
  ASSERT_TRUE(redis_server.Start());
  auto redis = redis::RedisClient::Create(redis_server.url());
  ASSERT_THAT(redis, IsOk());
  sql::testing::PostgresServer postgres;
  ASSERT_TRUE(postgres.Start()) << postgres.Log();
  auto db = sql::Database::Open(postgres.url() + "?call_timeout_ms=200");
  ASSERT_THAT(db, IsOk());
  ASSERT_THAT(sql::ApplyMigrations(**db, "events", EventMigrations()), IsOk());
  ASSERT_THAT(
      sql::ApplyMigrations(**db, "events_test", testing::EffectMigrations()),
      IsOk());
  Event event;
  event.set_id("e1");
  ASSERT_THAT((*redis)->Command({"XADD", kStream, "*", "id", "e1", "payload",
                                 event.SerializeAsString()}),
              IsOk());
  StreamConsumer consumer(db->get(), redis->get(),
                          {.stream = kStream,
                           .group = "g",
                           .consumer = "c1",
                           .block = absl::Milliseconds(20),
                           .claim_idle = absl::ZeroDuration(),
                           .max_deliveries = 3},
                          testing::CountEffect());
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());

  postgres.Freeze();
  for (int i = 0; i < 8; ++i) ASSERT_THAT(consumer.PollOnce(), IsOk());
  postgres.Thaw();
  // Once thawed the event is handled (a slow machine may need a few
  // rounds within the 200 ms each wait is given).
  int handled = 0;
  for (absl::Time end = absl::Now() + absl::Seconds(120);
       handled == 0 && absl::Now() < end;) {
    auto n = consumer.PollOnce();
    ASSERT_THAT(n, IsOk());
    handled = *n;
  }
  ASSERT_EQ(handled, 1);

  EXPECT_EQ(
      (*redis)->Command({"XLEN", std::string(kStream) + ".dead"})->integer, 0);
  auto tx = (*db)->Begin(sql::TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto effects = (*tx)->Query("SELECT n FROM effects WHERE event_id = 'e1'");
  ASSERT_THAT(effects, IsOk());
  ASSERT_EQ(effects->size(), 1u);
  EXPECT_EQ(effects->GetInt64(0, "n").value_or(-1), 1);
}

}  // namespace
}  // namespace training::events
