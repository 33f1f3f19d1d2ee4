// The event pipeline's storage stays bounded over a long run: streams to
// the retention floor, dead letters to their own retention, processed
// event ids past the redelivery horizon; and a consumer group added late
// starts at the floor.

#include "common/events/retention.h"

#include "absl/strings/str_cat.h"
#include "common/events/events_test_fixture.h"
#include "common/sql/testing/engines.h"
#include "gtest/gtest.h"

namespace training::events {
namespace {

constexpr int kPerDay = 50;
constexpr int kDays = 30;

class RetentionTest : public EventsTest {
 protected:
  // Adds `kPerDay` events to the stream, with ids at `day`'s time (the
  // relay's XADD would take the server's clock; the test's is fake).
  void PublishDay(absl::Time day, int n) {
    for (int i = 0; i < kPerDay; ++i) {
      Event event;
      event.set_id(absl::StrCat("day", n, "-", i));
      ASSERT_THAT(
          redis_->Command(
              {"XADD", kStream, absl::StrCat(absl::ToUnixMillis(day) + i, "-*"),
               "id", event.id(), "payload", event.SerializeAsString()}),
          IsOk());
    }
    for (int i = 0; i < 2; ++i) {
      ASSERT_THAT(
          redis_->Command({"XADD", std::string(kStream) + ".dead",
                           absl::StrCat(absl::ToUnixMillis(day) + i, "-*"),
                           "original_id", "0-1", "group", "g", "reason",
                           "refused"}),
          IsOk());
    }
  }
};

TEST_P(RetentionTest, ALongRunStaysBoundedAndALateGroupStartsAtTheFloor) {
  const absl::Time start = absl::Now();
  FakeClock clock(start);
  ConsumerOptions options = Options("c1", absl::Hours(1));
  options.clock = &clock;
  options.batch_size = 1000;
  StreamConsumer consumer(db_.get(), redis_.get(), options,
                          testing::CountEffect());
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());
  EventHousekeeping housekeeping(db_.get(), redis_.get(), {kStream},
                                 {.stream_floor = absl::Hours(24 * 7),
                                  .dead_letters = absl::Hours(24 * 14),
                                  .processed_events = absl::Hours(24 * 7)},
                                 &clock);
  int64_t most_entries = 0, most_dead = 0, most_processed = 0;

  for (int day = 0; day < kDays; ++day) {
    SCOPED_TRACE(day);
    clock.Set(start + absl::Hours(24) * day);
    PublishDay(clock.Now(), day);
    int handled = 0;
    while (handled < kPerDay) {
      auto n = consumer.PollOnce();
      ASSERT_THAT(n, IsOk());
      ASSERT_GT(*n, 0);
      handled += *n;
    }
    ASSERT_THAT(housekeeping.RunOnce(), IsOk());
    most_entries = std::max(most_entries, Redis({"XLEN", kStream}));
    most_dead =
        std::max(most_dead, Redis({"XLEN", std::string(kStream) + ".dead"}));
    most_processed = std::max(
        most_processed, Scalar("SELECT COUNT(*) AS v FROM processed_events"));
  }

  // The floor keeps today and the seven days before it.
  EXPECT_EQ(most_entries, 8 * kPerDay);
  EXPECT_EQ(Redis({"XLEN", kStream}), 8 * kPerDay);
  EXPECT_EQ(most_processed, 8 * kPerDay);
  EXPECT_EQ(most_dead, 15 * 2);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS v FROM effects"), kDays * kPerDay)
      << "every event took effect once";
  // A group added now reads from the floor: the last eight days.
  ASSERT_THAT(redis_->Command({"XGROUP", "CREATE", kStream, "late", "0"}),
              IsOk());
  auto read = redis_->Command({"XREADGROUP", "GROUP", "late", "l1", "COUNT",
                               "100000", "STREAMS", kStream, ">"});
  ASSERT_THAT(read, IsOk());
  const auto& entries = read->elements[0].elements[1].elements;
  ASSERT_EQ(entries.size(), static_cast<size_t>(8 * kPerDay));
  EXPECT_EQ(entries.front().elements[1].elements[1].str,
            absl::StrCat("day", kDays - 8, "-0"));
}

TRAINING_ON_BOTH_ENGINES(RetentionTest);

}  // namespace
}  // namespace training::events
