#include "services/notification/webhooks/retry_schedule.h"

#include "absl/random/random.h"
#include "gtest/gtest.h"

namespace training::notification::webhooks {
namespace {

TEST(RetryScheduleTest, TheDefaultSpansAboutADay) {
  absl::Duration total;
  for (absl::Duration wait : DefaultRetrySchedule()) {
    total += wait;
  }
  EXPECT_EQ(total, absl::Hours(27) + absl::Minutes(35) + absl::Seconds(5));
}

TEST(RetryScheduleTest, WaitsAreJitteredWithinAFifthAndEnd) {
  absl::BitGen random;
  const std::vector<absl::Duration> schedule = DefaultRetrySchedule();
  bool differed = false;
  for (int failed = 1; failed <= 7; ++failed) {
    const absl::Duration nominal = schedule[failed - 1];
    absl::Duration first;
    for (int i = 0; i < 200; ++i) {
      std::optional<absl::Duration> wait = RetryWait(schedule, failed, random);
      ASSERT_TRUE(wait.has_value());
      EXPECT_GE(*wait, nominal * 0.8);
      EXPECT_LE(*wait, nominal * 1.2);
      if (i == 0) first = *wait;
      differed = differed || *wait != first;
    }
  }
  EXPECT_TRUE(differed);
  EXPECT_FALSE(RetryWait(schedule, 8, random).has_value());
  EXPECT_FALSE(RetryWait(schedule, 0, random).has_value());
}

TEST(RetryScheduleTest, ParsesAndRefuses) {
  absl::StatusOr<std::vector<absl::Duration>> parsed =
      ParseRetrySchedule({"100ms", "2s"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, (std::vector<absl::Duration>{absl::Milliseconds(100),
                                                  absl::Seconds(2)}));
  EXPECT_FALSE(ParseRetrySchedule({}).ok());
  EXPECT_FALSE(ParseRetrySchedule({"0s"}).ok());
  EXPECT_FALSE(ParseRetrySchedule({"soon"}).ok());
  EXPECT_FALSE(ParseRetrySchedule({"169h"}).ok());
}

}  // namespace
}  // namespace training::notification::webhooks
