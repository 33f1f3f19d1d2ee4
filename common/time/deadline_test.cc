#include "common/time/deadline.h"

#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace training {
namespace {

TEST(ScopedDeadlineTest, SetsThisThreadsDeadlineAndPutsBackTheOneBefore) {
  const absl::Time outer = absl::Now() + absl::Seconds(10);
  const absl::Time inner = absl::Now() + absl::Seconds(20);
  absl::Time other_thread_saw;

  EXPECT_EQ(CurrentDeadline(), absl::InfiniteFuture());
  {
    ScopedDeadline first(outer);
    EXPECT_EQ(CurrentDeadline(), outer);
    {
      ScopedDeadline second(inner);
      EXPECT_EQ(CurrentDeadline(), inner);
      std::thread([&] { other_thread_saw = CurrentDeadline(); }).join();
    }
    EXPECT_EQ(CurrentDeadline(), outer);
  }

  EXPECT_EQ(CurrentDeadline(), absl::InfiniteFuture());
  EXPECT_EQ(other_thread_saw, absl::InfiniteFuture()) << "per thread";
}

}  // namespace
}  // namespace training
