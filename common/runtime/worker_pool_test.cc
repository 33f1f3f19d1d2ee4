#include "common/runtime/worker_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace training::runtime {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskOnManyThreads) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(4, 10000);
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(pool.TrySubmit([&ran] { ran.fetch_add(1); }));
    }
  }  // the destructor drains the queue

  EXPECT_EQ(ran.load(), 1000);
}

TEST(WorkerPoolTest, RefusesBeyondTheQueueLimit) {
  WorkerPool pool(1, 2);
  absl::Notification release;
  absl::Notification started;
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();

  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_FALSE(pool.TrySubmit([] {}));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_EQ(pool.busy(), 1u);

  release.Notify();
  pool.Shutdown();
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

}  // namespace
}  // namespace training::runtime
