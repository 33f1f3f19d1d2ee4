#include "absl/time/clock.h"
#include "gateway/web/page_parts.h"
#include "gateway/web/web_pages.h"
#include "gtest/gtest.h"

namespace training::gateway::web {
namespace {

TEST(ManageRulesTest, ACancellationIsLateInsideTheWindowBeforeTheStart) {
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  const absl::Duration window = absl::Hours(48);
  EXPECT_FALSE(CancellationWouldBeLate(start - absl::Hours(49), start, window));
  EXPECT_TRUE(CancellationWouldBeLate(start - absl::Hours(48), start, window));
  EXPECT_TRUE(CancellationWouldBeLate(start - absl::Hours(1), start, window));
  EXPECT_FALSE(CancellationWouldBeLate(start - absl::Seconds(1), start,
                                       absl::ZeroDuration()));
}

TEST(ManageRulesTest, ASessionHasStartedFromItsStartTimeOn) {
  catalogue::Session session;
  session.mutable_start_time()->set_seconds(1'800'000'000);
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_FALSE(HasStarted(session, start - absl::Seconds(1)));
  EXPECT_TRUE(HasStarted(session, start));
  EXPECT_TRUE(HasStarted(session, start + absl::Hours(1)));
}

}  // namespace
}  // namespace training::gateway::web
