#include "common/sql/statement_cache.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::sql {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class StatementCacheTest : public ::testing::Test {
 protected:
  std::vector<int> released_;  // first: outlives the cache, which releases
  StatementCache<int> cache_{3, [this](int& s) { released_.push_back(s); }};
};

TEST_F(StatementCacheTest, FindsWhatWasInsertedBySqlText) {
  cache_.Insert("SELECT 1", 10);
  cache_.Insert("SELECT 2", 20);

  ASSERT_NE(cache_.Find("SELECT 2"), nullptr);
  EXPECT_EQ(*cache_.Find("SELECT 2"), 20);
  EXPECT_EQ(*cache_.Find("SELECT 1"), 10);
  EXPECT_EQ(cache_.Find("SELECT 3"), nullptr);
  EXPECT_THAT(released_, IsEmpty());
}

TEST_F(StatementCacheTest, LetsGoOfTheLeastRecentlyUsedPastCapacity) {
  cache_.Insert("a", 1);
  cache_.Insert("b", 2);
  cache_.Insert("c", 3);
  ASSERT_NE(cache_.Find("a"), nullptr);  // now "b" is the least recent

  cache_.Insert("d", 4);

  EXPECT_THAT(released_, ElementsAre(2));
  EXPECT_EQ(cache_.Find("b"), nullptr);
  EXPECT_NE(cache_.Find("a"), nullptr);
  EXPECT_NE(cache_.Find("c"), nullptr);
  EXPECT_NE(cache_.Find("d"), nullptr);
  EXPECT_EQ(cache_.size(), 3u);
}

TEST_F(StatementCacheTest, ClearReleasesEveryStatementOnce) {
  cache_.Insert("a", 1);
  cache_.Insert("b", 2);

  cache_.Clear();

  EXPECT_THAT(released_, ::testing::UnorderedElementsAre(1, 2));
  EXPECT_EQ(cache_.Find("a"), nullptr);
  EXPECT_EQ(cache_.size(), 0u);
}

}  // namespace
}  // namespace training::sql
