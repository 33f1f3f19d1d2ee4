#include "gateway/edge/rate_limit.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::gateway::edge {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(ParseRateLimitTest, RatesBurstsAndOff) {
  auto limit = ParseRateLimit("50/s:100");
  ASSERT_TRUE(limit.ok());
  EXPECT_DOUBLE_EQ(limit->per_second, 50);
  EXPECT_EQ(limit->burst, 100);
  EXPECT_DOUBLE_EQ(ParseRateLimit("10/m:5")->per_second, 10.0 / 60);
  EXPECT_DOUBLE_EQ(ParseRateLimit("36/h:1")->per_second, 0.01);
  EXPECT_FALSE(ParseRateLimit("off")->enabled());
  for (const char* bad : {"", "50", "50/s", "50/d:1", "0/s:1", "5/s:0",
                          "-1/s:3", "x/s:3", "5/s:x", "nan/s:1"}) {
    EXPECT_FALSE(ParseRateLimit(bad).ok()) << bad;
  }
}

TEST(GcraTest, ABurstThenTheSustainedRate) {
  const RateLimit limit{10, 3};  // one per 100 ms, three at once
  absl::Time tat = absl::InfinitePast();
  for (int i = 0; i < 3; ++i) {
    GcraStep step = Gcra(tat, kStart, limit);
    ASSERT_TRUE(step.decision.allowed) << i;
    EXPECT_EQ(step.decision.remaining, 2 - i);
    EXPECT_EQ(step.decision.limit, 3);
    tat = step.new_tat;
  }
  GcraStep refused = Gcra(tat, kStart, limit);
  EXPECT_FALSE(refused.decision.allowed);
  EXPECT_EQ(refused.decision.retry_after, absl::Milliseconds(100));
  EXPECT_EQ(refused.decision.reset, absl::Milliseconds(300));
  EXPECT_EQ(refused.new_tat, tat);  // a refusal costs nothing

  // One interval later exactly one more is allowed.
  GcraStep later = Gcra(tat, kStart + absl::Milliseconds(100), limit);
  EXPECT_TRUE(later.decision.allowed);
  EXPECT_EQ(later.decision.remaining, 0);
  EXPECT_FALSE(Gcra(later.new_tat, kStart + absl::Milliseconds(100), limit)
                   .decision.allowed);
  // After a long quiet the bucket is whole again, not fuller.
  GcraStep quiet = Gcra(later.new_tat, kStart + absl::Hours(1), limit);
  EXPECT_EQ(quiet.decision.remaining, 2);
}

TEST(LocalRateLimiterTest, KeysHaveTheirOwnBuckets) {
  FakeClock clock(kStart);
  LocalRateLimiter limiter(&clock);
  const RateLimit limit{1, 2};
  EXPECT_TRUE(limiter.Check("a", limit).allowed);
  EXPECT_TRUE(limiter.Check("a", limit).allowed);
  EXPECT_FALSE(limiter.Check("a", limit).allowed);
  EXPECT_TRUE(limiter.Check("b", limit).allowed);
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(limiter.Check("a", limit).allowed);
  EXPECT_FALSE(limiter.Check("a", limit).allowed);
  EXPECT_TRUE(limiter.Check("any", RateLimit{}).allowed);  // off
}

// Many threads on one key at one instant: exactly `burst` get through.
TEST(LocalRateLimiterTest, ConcurrentRequestsNeverPassTheBurst) {
  FakeClock clock(kStart);
  LocalRateLimiter limiter(&clock);
  const RateLimit limit{1, 250};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (limiter.Check("shared", limit).allowed) allowed.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 250);
}

TEST(LocalRateLimiterTest, WholeBucketsAreForgottenWhenMemoryIsShort) {
  FakeClock clock(kStart);
  LocalRateLimiter limiter(&clock, /*max_keys=*/160);
  const RateLimit limit{1, 1};
  for (int i = 0; i < 1000; ++i) {
    limiter.Check("k" + std::to_string(i), limit);
  }
  EXPECT_LE(limiter.KeysForTest(), 16u * 11u);
  // Full of active keys, a new one is still counted.
  EXPECT_TRUE(limiter.Check("late", limit).allowed);
  EXPECT_FALSE(limiter.Check("late", limit).allowed);
  // Once their buckets are whole, room is made and limits apply again.
  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(limiter.Check("fresh", limit).allowed);
  EXPECT_FALSE(limiter.Check("fresh", limit).allowed);
}

}  // namespace
}  // namespace training::gateway::edge
