#include "gateway/edge/redis_rate_limiter.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/redis/testing_redis_server.h"
#include "gtest/gtest.h"

namespace training::gateway::edge {
namespace {

// A gateway replica: its own Redis client and its own local fallback.
struct Replica {
  explicit Replica(const std::string& url)
      : redis(*redis::RedisClient::Create(url)), limiter(redis.get(), &local) {}
  std::unique_ptr<redis::RedisClient> redis;
  LocalRateLimiter local;
  RedisRateLimiter limiter;
};

class RedisRateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()); }
  std::string Url() const {
    // Generous: a busy machine must not make a check fall back.
    return server_.url("timeout_ms=5000&connect_timeout_ms=5000");
  }
  redis::testing::RedisServer server_;
};

// Two replicas, eight threads, one bucket: exactly the burst gets through
// in all (the rate, one an hour, adds none during the test).
TEST_F(RedisRateLimiterTest, ReplicasShareOneBucket) {
  Replica a(Url()), b(Url());
  const RateLimit limit{1.0 / 3600, 150};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Replica& replica = t % 2 == 0 ? a : b;
      for (int i = 0; i < 50; ++i) {
        if (replica.limiter.Check("shared", limit).allowed)
          allowed.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 150);
  EXPECT_EQ(a.limiter.fallbacks() + b.limiter.fallbacks(), 0);
  // Each replica alone would have let 150 through.
  EXPECT_FALSE(a.limiter.Check("shared", limit).allowed);
  EXPECT_TRUE(a.limiter.Check("another", limit).allowed);
}

TEST_F(RedisRateLimiterTest, RefusalSaysWhenToComeBack) {
  Replica a(Url());
  const RateLimit limit{1.0 / 60, 2};  // one a minute
  RateDecision first = a.limiter.Check("k", limit);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.remaining, 1);
  EXPECT_EQ(first.limit, 2);
  EXPECT_TRUE(a.limiter.Check("k", limit).allowed);
  RateDecision refused = a.limiter.Check("k", limit);
  ASSERT_FALSE(refused.allowed);
  EXPECT_GT(refused.retry_after, absl::Seconds(50));
  EXPECT_LE(refused.retry_after, absl::Seconds(60));
  EXPECT_GT(refused.reset, absl::Seconds(110));
  EXPECT_LE(refused.reset, absl::Seconds(120));
  // The bucket's key expires with it: nothing is kept for ever.
  auto ttl = a.redis->Command({"PTTL", "training:ratelimit:k"});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 120001);
}

// Redis gone: this replica's own limits apply (not none, not a refusal of
// everything); Redis back: shared again.
TEST_F(RedisRateLimiterTest, RedisDownFallsBackToLocalLimits) {
  Replica a(Url());
  const RateLimit limit{1.0 / 3600, 3};
  server_.Stop();
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += a.limiter.Check("k", limit).allowed;
  EXPECT_EQ(allowed, 3);
  EXPECT_EQ(a.limiter.fallbacks(), 10);

  ASSERT_TRUE(server_.Start());
  // Once the client's breaker lets a trial through, Redis answers again.
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  int64_t before = a.limiter.fallbacks();
  while (absl::Now() < give_up) {
    before = a.limiter.fallbacks();
    a.limiter.Check("fresh", limit);
    if (a.limiter.fallbacks() == before) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(a.limiter.fallbacks(), before) << "Redis never used again";
  auto stored = a.redis->Command({"EXISTS", "training:ratelimit:fresh"});
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->integer, 1);
}

// The script and rate_limit.cc's Gcra decide alike, step by step.
TEST_F(RedisRateLimiterTest, SharedAndLocalBucketsAgree) {
  Replica a(Url());
  FakeClock clock(absl::Now());
  LocalRateLimiter local(&clock);
  const RateLimit limit{1.0 / 3600, 4};
  for (int i = 0; i < 7; ++i) {
    RateDecision shared = a.limiter.Check("agree", limit);
    RateDecision mine = local.Check("agree", limit);
    EXPECT_EQ(shared.allowed, mine.allowed) << i;
    EXPECT_EQ(shared.remaining, mine.remaining) << i;
    EXPECT_EQ(shared.limit, mine.limit) << i;
  }
  EXPECT_EQ(a.limiter.fallbacks(), 0);
}

// A request's buckets in one round trip, each decided on its own, as the
// local limiter decides them.
TEST_F(RedisRateLimiterTest, AllOfARequestsBucketsInOneCall) {
  Replica a(Url());
  FakeClock clock(absl::Now());
  LocalRateLimiter local(&clock);
  const std::vector<RateLimiter::Bucket> buckets = {
      {"wide", {1.0 / 3600, 2}}, {"narrow", {1.0 / 3600, 1}}, {"off", {}}};
  for (int round = 0; round < 3; ++round) {
    std::vector<RateDecision> shared = a.limiter.CheckAll(buckets);
    std::vector<RateDecision> mine = local.CheckAll(buckets);
    ASSERT_EQ(shared.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(shared[i].allowed, mine[i].allowed) << round << " " << i;
      EXPECT_EQ(shared[i].remaining, mine[i].remaining) << round << " " << i;
    }
  }
  // Round 0: both allowed; round 1: wide allowed, narrow refused; round
  // 2: both refused. A bucket whose limit is off is always allowed.
  std::vector<RateDecision> last = a.limiter.CheckAll(buckets);
  EXPECT_FALSE(last[0].allowed);
  EXPECT_FALSE(last[1].allowed);
  EXPECT_TRUE(last[2].allowed);
  EXPECT_EQ(a.limiter.fallbacks(), 0);
}

}  // namespace
}  // namespace training::gateway::edge
