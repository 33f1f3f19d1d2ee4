#include "common/pool/idle_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace training::pool {
namespace {

using Slot = IdlePool<int>::Slot;

TEST(IdlePoolTest, OpensUpToCapacityThenReusesOrTimesOut) {
  IdlePool<int> pool(2);
  int item = 0;

  EXPECT_EQ(pool.Take(absl::ZeroDuration(), &item), Slot::kNew);
  EXPECT_EQ(pool.Take(absl::ZeroDuration(), &item), Slot::kNew);
  EXPECT_EQ(pool.Take(absl::Milliseconds(10), &item), Slot::kTimedOut);

  pool.Put(7);
  EXPECT_EQ(pool.Take(absl::ZeroDuration(), &item), Slot::kIdle);
  EXPECT_EQ(item, 7);
  pool.Forget();
  EXPECT_EQ(pool.Take(absl::ZeroDuration(), &item), Slot::kNew);
}

TEST(IdlePoolTest, ManyThreadsNeverHoldMoreThanCapacity) {
  constexpr int kCapacity = 3;
  IdlePool<int> pool(kCapacity);
  std::atomic<int> held{0};
  std::atomic<int> most{0};
  std::atomic<int> timeouts{0};
  std::atomic<int> opened{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        int item = 0;
        const Slot slot = pool.Take(absl::Seconds(30), &item);
        if (slot == Slot::kTimedOut) {
          ++timeouts;
          continue;
        }
        if (slot == Slot::kNew) ++opened;
        const int now = ++held;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        --held;
        pool.Put(item);
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_LE(most.load(), kCapacity);
  EXPECT_EQ(timeouts.load(), 0);
  // Only as many as were needed were opened, and every one came back.
  EXPECT_LE(opened.load(), kCapacity);
  EXPECT_EQ(pool.TakeAllIdle().size(), static_cast<size_t>(opened.load()));
}

}  // namespace
}  // namespace training::pool
