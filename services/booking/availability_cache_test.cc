// The availability cache's contract, on both implementations: misses are
// empty, reads keep the order asked, an older version never replaces a
// newer one, entries expire; and Redis being down is a miss, never an
// error. Then the Redis cache's copy in each replica's memory: filled by
// its own writes and reads and by other replicas' writes on the change
// stream, empty while Redis is down, rebuilt after, and never serving a
// figure older than one it served.

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
    // A read counts a key in its last millisecond (PTTL 0) as gone, while
    // Redis still holds it for that millisecond and a write then would be
    // compared with it: wait it out.
    absl::SleepFor(absl::Milliseconds(5));
  }

  // Long enough that no entry expires between two lines of a test on a
  // slow machine.
  static constexpr absl::Duration kTtl = absl::Seconds(1);
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

// Two replicas' caches on one Redis, each with its own client.
class RedisAvailabilityCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    for (auto* client : {&redis_a_, &redis_b_}) {
      auto redis = redis::RedisClient::Create(server_.url());
      ASSERT_TRUE(redis.ok()) << redis.status();
      *client = *std::move(redis);
    }
    a_ = std::make_unique<RedisAvailabilityCache>(redis_a_.get(), kTtl);
    b_ = std::make_unique<RedisAvailabilityCache>(redis_b_.get(), kTtl);
  }

  // Follows B's change stream, retrying while Redis is coming back (its
  // client's breaker may hold calls back for a while): a watchdog.
  void FollowB() {
    absl::Status followed;
    for (absl::Time end = absl::Now() + absl::Seconds(30); absl::Now() < end;
         absl::SleepFor(absl::Milliseconds(20))) {
      followed = b_->FollowOnce();
      if (followed.ok()) return;
    }
    FAIL() << followed;
  }

  int InMemoryOnB(const std::string& session) {
    auto figures = b_->ReadInMemory({session});
    return figures ? (*figures)[0].confirmed() : -1;
  }

  static constexpr absl::Duration kTtl = absl::Seconds(60);
  redis::testing::RedisServer server_;
  std::unique_ptr<redis::RedisClient> redis_a_, redis_b_;
  std::unique_ptr<RedisAvailabilityCache> a_, b_;
};

TEST_F(RedisAvailabilityCopyTest, WithoutACopyNothingIsAnsweredFromMemory) {
  ASSERT_TRUE(b_->Write(Seats(kA, 3), 1));
  EXPECT_EQ(ConfirmedOf(b_->Read({kA})[0]), 3);
  EXPECT_EQ(InMemoryOnB(kA), -1);
}

TEST_F(RedisAvailabilityCopyTest, AnotherReplicasWritesReachThisOnesMemory) {
  FollowB();
  ASSERT_TRUE(a_->Write(Seats(kA, 3), 1));
  EXPECT_EQ(InMemoryOnB(kA), -1) << "not before the stream is read";

  FollowB();
  EXPECT_EQ(InMemoryOnB(kA), 3);

  ASSERT_TRUE(a_->Write(Seats(kA, 4), 2));
  ASSERT_TRUE(a_->Write(Seats(kB, 1), 1));
  FollowB();
  EXPECT_EQ(InMemoryOnB(kA), 4);
  EXPECT_EQ(InMemoryOnB(kB), 1);
}

TEST_F(RedisAvailabilityCopyTest, OwnWritesAndReadsFromRedisFillTheCopy) {
  ASSERT_TRUE(a_->Write(Seats(kA, 3), 1));  // before B follows
  FollowB();
  EXPECT_EQ(InMemoryOnB(kA), -1);

  EXPECT_EQ(ConfirmedOf(b_->Read({kA})[0]), 3);
  EXPECT_EQ(InMemoryOnB(kA), 3);
  ASSERT_TRUE(b_->Write(Seats(kB, 2), 1));
  EXPECT_EQ(InMemoryOnB(kB), 2);
}

// B never reads here: only its thread following the stream can fill its
// memory. Writes made before the thread's first round predate the copy,
// so newer versions are written until one arrives.
TEST_F(RedisAvailabilityCopyTest, TheCopyFollowsOnItsOwnThread) {
  b_->StartCopy(absl::Milliseconds(10));
  int version = 0;
  bool arrived = false;
  for (absl::Time end = absl::Now() + absl::Seconds(30);
       !arrived && absl::Now() < end;) {
    ++version;
    ASSERT_TRUE(a_->Write(Seats(kA, version % 20), version));
    for (int look = 0; look < 10 && !arrived; ++look) {
      absl::SleepFor(absl::Milliseconds(20));
      arrived = InMemoryOnB(kA) == version % 20;
    }
  }
  EXPECT_TRUE(arrived);
}

TEST_F(RedisAvailabilityCopyTest, WhileRedisIsDownTheCopyServesNothing) {
  FollowB();
  ASSERT_TRUE(a_->Write(Seats(kA, 3), 1));
  FollowB();
  ASSERT_EQ(InMemoryOnB(kA), 3);

  server_.Stop();
  EXPECT_FALSE(b_->FollowOnce().ok());
  EXPECT_EQ(InMemoryOnB(kA), -1);
  EXPECT_FALSE(b_->Read({kA})[0].has_value());

  ASSERT_TRUE(server_.Start());
  FollowB();  // rebuilt: empty, from the stream's end
  EXPECT_EQ(InMemoryOnB(kA), -1);
  // The restarted Redis is empty; A's write reaches B again.
  for (absl::Time end = absl::Now() + absl::Seconds(30);
       absl::Now() < end && !a_->Write(Seats(kA, 4), 2);) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  FollowB();
  EXPECT_EQ(InMemoryOnB(kA), 4);
}

// B served version 5; Redis then holds version 4 (a write of 5 lost while
// Redis restarted, an older figure written after): B's reads miss rather
// than show the counts going back, while a replica that never saw 5 reads
// 4.
TEST_F(RedisAvailabilityCopyTest, AFigureOlderThanOneServedIsAMiss) {
  FollowB();
  ASSERT_TRUE(b_->Write(Seats(kA, 5), 5));
  ASSERT_EQ(ConfirmedOf(b_->Read({kA})[0]), 5);
  server_.Stop();
  EXPECT_FALSE(b_->FollowOnce().ok());
  ASSERT_TRUE(server_.Start());
  FollowB();
  auto raw = redis::RedisClient::Create(server_.url());
  ASSERT_TRUE(raw.ok());
  const std::string key = RedisAvailabilityCache::KeyOf(kA);
  ASSERT_TRUE((*raw)
                  ->Command({"HSET", key, "v", "4", "a",
                             Seats(kA, 4).SerializeAsString()})
                  .ok());
  ASSERT_TRUE((*raw)->Command({"PEXPIRE", key, "60000"}).ok());

  EXPECT_FALSE(b_->Read({kA})[0].has_value());
  EXPECT_EQ(ConfirmedOf(a_->Read({kA})[0]), 4);
}

// B follows the stream once, then hears nothing more (its thread stalled,
// entries lost): what it holds is served until the TTL from when it was
// written, never after, though Redis already has newer figures.
TEST_F(RedisAvailabilityCopyTest, NoFigureOutlivesItsTtlUnheardChangesAside) {
  FakeClock clock(absl::Now());
  RedisAvailabilityCache c(redis_b_.get(), kTtl, &clock);
  ASSERT_TRUE(c.FollowOnce().ok());
  ASSERT_TRUE(a_->Write(Seats(kA, 3), 1));
  ASSERT_TRUE(c.FollowOnce().ok());
  ASSERT_TRUE(a_->Write(Seats(kA, 4), 2));  // not heard by C

  clock.Advance(kTtl - absl::Seconds(1));
  auto held = c.ReadInMemory({kA});
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ((*held)[0].confirmed(), 3) << "stale, but within the TTL";

  clock.Advance(absl::Seconds(2));
  EXPECT_FALSE(c.ReadInMemory({kA}).has_value());
  EXPECT_EQ(ConfirmedOf(c.Read({kA})[0]), 4);
}

// A write fails while Redis keeps its data (here Redis refuses writes for
// want of memory, as it would when full): Redis still holds version 4 of
// a figure whose version 5 B wrote and served. Once Redis takes writes
// again, B does not serve 4: it has seen 5.
TEST_F(RedisAvailabilityCopyTest, AFailedWriteStillCountsAsSeen) {
  ASSERT_TRUE(a_->Write(Seats(kA, 4), 4));
  FollowB();
  ASSERT_EQ(ConfirmedOf(b_->Read({kA})[0]), 4);
  auto raw = redis::RedisClient::Create(server_.url());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE((*raw)->Command({"CONFIG", "SET", "maxmemory", "1"}).ok());

  EXPECT_FALSE(b_->Write(Seats(kA, 5), 5));

  ASSERT_TRUE((*raw)->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  FollowB();
  EXPECT_FALSE(b_->Read({kA})[0].has_value()) << "version 4 is older than 5";
  EXPECT_EQ(ConfirmedOf(a_->Read({kA})[0]), 4) << "still what Redis holds";
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
