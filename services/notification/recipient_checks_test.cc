// What is checked about an address before each send, against a real
// database (both engines): a suppressed address in any letter case, and
// the daily cap that stops a loop writing to one address again and again.

#include <string>

#include "absl/strings/str_cat.h"
#include "services/notification/scheduler_test_fixture.h"

namespace training::notification::testing {
namespace {

class RecipientChecksTest : public SchedulerTest {
 protected:
  // Stores a message to `recipient` and sends it (as a sender would).
  void SendTo(const std::string& recipient, int n) {
    const NewDelivery d{.source_event_id = absl::StrCat("event-", n),
                        .kind = v1::BOOKING_CONFIRMED,
                        .booking = absl::StrCat("bookings/REF", n),
                        .recipient = recipient,
                        .message = "Subject: x\r\n\r\nx\r\n",
                        .message_id = NewMessageId("example.org"),
                        .event_time = clock_.Now()};
    ASSERT_TRUE(sql::RunInTransaction(
                    *db_, sql::TxMode::kWrite,
                    [&](sql::Transaction& tx) {
                      return store_->AddDelivery(tx, d, clock_.Now()).status();
                    })
                    .ok());
    auto claimed =
        store_->ClaimDelivery("sender", clock_.Now(), absl::Seconds(60));
    ASSERT_TRUE(claimed.ok() && claimed->has_value());
    auto sent = store_->MarkSent((*claimed)->id, "sender", clock_.Now());
    ASSERT_TRUE(sent.ok() && *sent);
  }
};

TEST_P(RecipientChecksTest, ALoopIsCutAtTheDailyCap) {
  for (int i = 0; i < 3; ++i) SendTo("loop@example.org", i);
  auto under = store_->CheckRecipient("loop@example.org", clock_.Now(), 4);
  ASSERT_TRUE(under.ok());
  EXPECT_FALSE(under->has_value());
  auto at = store_->CheckRecipient("LOOP@example.org", clock_.Now(), 3);
  ASSERT_TRUE(at.ok());
  ASSERT_TRUE(at->has_value());
  EXPECT_EQ((*at)->notify_status, "technical-failure");
  EXPECT_EQ((*at)->reason,
            "the address was sent 3 messages in the last 24 hours");
  // Another address is not held back, and a day later neither is this one.
  auto other = store_->CheckRecipient("other@example.org", clock_.Now(), 3);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  clock_.Advance(absl::Hours(24) + absl::Seconds(1));
  auto later = store_->CheckRecipient("loop@example.org", clock_.Now(), 3);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->has_value());
}

TEST_P(RecipientChecksTest, ASuppressedAddressIsRefusedInAnyCase) {
  ASSERT_TRUE(store_
                  ->Suppress("abc", "Gone@Example.org", "550 no such user",
                             clock_.Now())
                  .ok());
  auto block = store_->CheckRecipient("gone@example.ORG", clock_.Now(), 0);
  ASSERT_TRUE(block.ok());
  ASSERT_TRUE(block->has_value());
  EXPECT_EQ((*block)->notify_status, "permanent-failure");
  EXPECT_EQ((*block)->reason, "the address is suppressed (550 no such user)");
  auto listed = store_->ListSuppressions(std::nullopt, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].masked_recipient, "G***@Example.org");
  EXPECT_EQ((*listed)[0].delivery, "deliveries/abc");
  auto lifted = store_->DeleteSuppression((*listed)[0].address_hash);
  ASSERT_TRUE(lifted.ok() && *lifted);
  auto after = store_->CheckRecipient("gone@example.org", clock_.Now(), 0);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}

TRAINING_ON_BOTH_ENGINES(RecipientChecksTest);

}  // namespace
}  // namespace training::notification::testing
