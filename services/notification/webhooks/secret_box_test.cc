#include "services/notification/webhooks/secret_box.h"

#include "gtest/gtest.h"

namespace training::notification::webhooks {
namespace {

auth::HmacKeys Keys(const std::string& spec) {
  absl::StatusOr<auth::HmacKeys> keys = auth::HmacKeys::Parse(spec);
  EXPECT_TRUE(keys.ok()) << keys.status();
  return *keys;
}

TEST(SecretBoxTest, OpensWhatItSealedForTheSameSubscription) {
  const auth::HmacKeys keys = Keys(*auth::HmacKeys::NewSpec("k1"));
  SecretBox box(&keys);
  absl::StatusOr<std::string> sealed = box.Seal("whsec_secret", "webhook-a");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->find("whsec_secret"), std::string::npos);
  EXPECT_EQ(sealed->rfind("k1:", 0), 0u);
  EXPECT_EQ(*box.Open(*sealed, "webhook-a"), "whsec_secret");
  // Sealing twice gives two different texts (a fresh nonce each time).
  EXPECT_NE(*box.Seal("whsec_secret", "webhook-a"), *sealed);
}

TEST(SecretBoxTest, RefusesAnotherSubscriptionsRowAlterationsAndLostKeys) {
  const std::string spec = *auth::HmacKeys::NewSpec("k1");
  const auth::HmacKeys keys = Keys(spec);
  SecretBox box(&keys);
  const std::string sealed = *box.Seal("whsec_secret", "webhook-a");
  EXPECT_EQ(box.Open(sealed, "webhook-b").status().code(),
            absl::StatusCode::kDataLoss);
  std::string altered = sealed;
  altered[altered.size() - 5] = altered[altered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(box.Open(altered, "webhook-a").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_FALSE(box.Open("no colon", "webhook-a").ok());
  const auth::HmacKeys other = Keys(*auth::HmacKeys::NewSpec("k2"));
  EXPECT_EQ(SecretBox(&other).Open(sealed, "webhook-a").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(SecretBoxTest, AnOlderKeyStillOpensAfterANewOneLeads) {
  const std::string old_spec = *auth::HmacKeys::NewSpec("k1");
  const auth::HmacKeys old_keys = Keys(old_spec);
  const std::string sealed = *SecretBox(&old_keys).Seal("whsec_x", "w");
  const std::string new_spec = *auth::HmacKeys::NewSpec("k2");
  const auth::HmacKeys both = Keys(new_spec + "," + old_spec);
  SecretBox box(&both);
  EXPECT_EQ(*box.Open(sealed, "w"), "whsec_x");
  EXPECT_EQ(box.Seal("whsec_y", "w")->rfind("k2:", 0), 0u);
}

}  // namespace
}  // namespace training::notification::webhooks
