#include "common/random/unique_bytes.h"

#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace training::random {
namespace {

TEST(UniqueBytesTest, GivesTheLengthAskedForWhateverItsRemainder) {
  for (size_t count : {0, 1, 7, 8, 13, 16, 33}) {
    EXPECT_EQ(UniqueBytes(count).size(), count);
  }
}

TEST(UniqueBytesTest, NoTwoIdsRepeatAcrossThreads) {
  absl::Mutex mu;
  std::set<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < 5000; ++i) mine.push_back(UniqueBytes(16));
      absl::MutexLock lock(&mu);
      seen.insert(mine.begin(), mine.end());
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(seen.size(), 8u * 5000u);
  // Every byte position varies, the tail of the last word included.
  const std::string a = UniqueBytes(13);
  bool tail_varies = false;
  for (int i = 0; i < 20 && !tail_varies; ++i) {
    tail_varies = UniqueBytes(13)[12] != a[12];
  }
  EXPECT_TRUE(tail_varies);
}

}  // namespace
}  // namespace training::random
