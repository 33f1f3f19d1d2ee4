#include "services/notification/delivery_rules.h"

#include <algorithm>

#include "absl/random/random.h"
#include "gtest/gtest.h"

namespace training::notification {
namespace {

TEST(DeliveryRulesTest, OneMaskingRuleKeepsTheDomain) {
  EXPECT_EQ(MaskRecipient("jo.bloggs@example.org"), "j***@example.org");
  EXPECT_EQ(MaskRecipient("a@nhs.example"), "a***@nhs.example");
  EXPECT_EQ(MaskRecipient("élodie@example.fr"), "é***@example.fr");
  EXPECT_EQ(MaskRecipient("no-at-sign"), "***");
  EXPECT_EQ(MaskRecipient("@example.org"), "***");
  EXPECT_EQ(MaskRecipient(""), "***");
}

TEST(DeliveryRulesTest, NotifyNames) {
  EXPECT_STREQ(NotifyStatusName(NotifyStatus::kCreated), "created");
  EXPECT_STREQ(NotifyStatusName(NotifyStatus::kDelivered), "delivered");
  EXPECT_STREQ(NotifyStatusName(NotifyStatus::kTemporaryFailure),
               "temporary-failure");
  EXPECT_STREQ(NotifyStatusName(NotifyStatus::kPermanentFailure),
               "permanent-failure");
  EXPECT_STREQ(NotifyStatusName(NotifyStatus::kTechnicalFailure),
               "technical-failure");
}

TEST(DeliveryRulesTest, WhatARelaysAnswerMeans) {
  EXPECT_EQ(ClassifySmtpReply(250, false), SendOutcome::kAccepted);
  EXPECT_EQ(ClassifySmtpReply(451, false), SendOutcome::kTemporary);
  EXPECT_EQ(ClassifySmtpReply(421, false), SendOutcome::kTemporary);
  EXPECT_EQ(ClassifySmtpReply(550, false), SendOutcome::kPermanent);
  EXPECT_EQ(ClassifySmtpReply(554, false), SendOutcome::kPermanent);
  EXPECT_EQ(ClassifySmtpReply(535, false), SendOutcome::kTechnical);
  EXPECT_EQ(ClassifySmtpReply(530, false), SendOutcome::kTechnical);
  EXPECT_EQ(ClassifySmtpReply(0, true), SendOutcome::kTemporary);
  EXPECT_EQ(ClassifySmtpReply(250, true), SendOutcome::kTemporary);
  EXPECT_EQ(ClassifySmtpReply(0, false), SendOutcome::kTemporary);
  EXPECT_EQ(ClassifySmtpReply(999, false), SendOutcome::kTechnical);
}

TEST(DeliveryRulesTest, BackoffGrowsToItsCapWithFullJitter) {
  absl::BitGen random;
  const absl::Duration base = absl::Seconds(1), cap = absl::Minutes(10);
  for (int attempt = 0; attempt < 30; ++attempt) {
    absl::Duration ceiling = base;
    for (int i = 0; i < attempt && ceiling < cap; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, cap);
    absl::Duration longest = absl::ZeroDuration();
    for (int i = 0; i < 200; ++i) {
      const absl::Duration d = RetryDelay(attempt, base, cap, random);
      ASSERT_GE(d, absl::ZeroDuration());
      ASSERT_LT(d, ceiling) << attempt;
      longest = std::max(longest, d);
    }
    // Full jitter spreads over the whole range, not just near its top.
    EXPECT_GT(longest, ceiling / 2) << attempt;
  }
}

}  // namespace
}  // namespace training::notification
