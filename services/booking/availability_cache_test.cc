// The availability cache's contract, on both implementations: misses are
// empty, reads keep the order asked, an older version never replaces a
// newer one, entries expire; and Redis being down is a miss, never an
// error.

#include "services/booking/availability_cache.h"

#include <functional>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "common/redis/redis_client.h"
#include "common/redis/testing_redis_server.h"
#include "common/time/clock.h"
#include "gtest/gtest.h"
#include "services/booking/redis_availability_cache.h"

namespace training::booking {
namespace {

constexpr char kA[] = "courses/intro-mi/sessions/a";
constexpr char kB[] = "courses/intro-mi/sessions/b";

v1::Availability Seats(const std::string& session, int confirmed) {
  v1::Availability a;
  a.set_session(session);
  a.set_capacity(20);
  a.set_confirmed(confirmed);
  a.set_remaining(20 - confirmed);
  return a;
}

int ConfirmedOf(const std::optional<v1::Availability>& a) {
  return a ? a->confirmed() : -1;
}

enum class Kind { kInMemory, kRedis };

class AvailabilityCacheTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kInMemory) {
      cache_ = std::make_unique<InMemoryAvailabilityCache>(&clock_, kTtl);
      return;
    }
    ASSERT_TRUE(redis_server_.Start());
    auto redis = redis::RedisClient::Create(redis_server_.url());
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    cache_ = std::make_unique<RedisAvailabilityCache>(redis_.get(), kTtl);
  }

  // Lets the entries' time to live pass: the fake clock moves, Redis is
  // waited for (polled, with a watchdog) until `key` has expired.
  void Expire(const std::string& session) {
    if (GetParam() == Kind::kInMemory) {
      clock_.Advance(kTtl + absl::Milliseconds(1));
      return;
    }
    for (absl::Time end = absl::Now() + absl::Seconds(30);
         absl::Now() < end && cache_->Read({session})[0];) {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  static constexpr absl::Duration kTtl = absl::Milliseconds(300);
  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  redis::testing::RedisServer redis_server_;
  std::unique_ptr<redis::RedisClient> redis_;
  std::unique_ptr<AvailabilityCache> cache_;
};

TEST_P(AvailabilityCacheTest, MissesAreEmptyAndReadsKeepTheOrderAsked) {
  EXPECT_FALSE(cache_->Read({kA})[0].has_value());
  EXPECT_TRUE(cache_->Write(Seats(kA, 3), 1));
  EXPECT_TRUE(cache_->Write(Seats(kB, 7), 1));

  auto read = cache_->Read({kB, "courses/x/sessions/none", kA});

  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(ConfirmedOf(read[0]), 7);
  EXPECT_FALSE(read[1].has_value());
  EXPECT_EQ(ConfirmedOf(read[2]), 3);
}

TEST_P(AvailabilityCacheTest, AnOlderVersionNeverReplacesANewerOne) {
  EXPECT_TRUE(cache_->Write(Seats(kA, 5), 5));
  EXPECT_FALSE(cache_->Write(Seats(kA, 4), 4));
  EXPECT_FALSE(cache_->Write(Seats(kA, 6), 5));  // the same version
  EXPECT_EQ(ConfirmedOf(cache_->Read({kA})[0]), 5);
  EXPECT_TRUE(cache_->Write(Seats(kA, 6), 6));
  EXPECT_EQ(ConfirmedOf(cache_->Read({kA})[0]), 6);
}

// A write lost to a crash heals: the entry expires, and once expired any
// version may be written again (a session re-created from a fresh
// database starts its versions again).
TEST_P(AvailabilityCacheTest, EntriesExpireAndThenAnyVersionIsTaken) {
  ASSERT_TRUE(cache_->Write(Seats(kA, 5), 9));
  Expire(kA);
  EXPECT_FALSE(cache_->Read({kA})[0].has_value());
  EXPECT_TRUE(cache_->Write(Seats(kA, 1), 1));
  EXPECT_EQ(ConfirmedOf(cache_->Read({kA})[0]), 1);
}

TEST(RedisAvailabilityCacheTest, RedisDownIsAMissNeverAnError) {
  redis::testing::RedisServer server;
  ASSERT_TRUE(server.Start());
  auto redis = redis::RedisClient::Create(server.url());
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisAvailabilityCache cache(redis->get(), absl::Seconds(60));
  ASSERT_TRUE(cache.Write(Seats(kA, 2), 1));
  server.Stop();

  EXPECT_FALSE(cache.Read({kA})[0].has_value());
  EXPECT_FALSE(cache.Write(Seats(kA, 3), 2));
}

INSTANTIATE_TEST_SUITE_P(BothImplementations, AvailabilityCacheTest,
                         ::testing::Values(Kind::kInMemory, Kind::kRedis),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           return info.param == Kind::kInMemory
                                      ? std::string("in_memory")
                                      : std::string("redis");
                         });

}  // namespace
}  // namespace training::booking
