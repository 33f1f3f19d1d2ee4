#include "services/notification/webhooks/signature.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::notification::webhooks {
namespace {

// Computed with Python's hmac and base64 modules, not with this code:
//   key = bytes(range(32)); msg = b'msg_0123456789abcdef0123.1767225600.'
//   + b'{"id":"e1"}'; 'v1,' + b64encode(hmac.new(key, msg, sha256).digest())
constexpr char kSecret[] = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr char kExpected[] = "v1,GtoZZ4kwV2CGwco9Sv4pWLAunHTmVKKl6QZyceKYJzw=";

TEST(SignatureTest, MatchesAnIndependentHmac) {
  absl::StatusOr<std::string> key = SecretKey(kSecret);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->size(), 32u);
  EXPECT_EQ(
      Sign(*key, "msg_0123456789abcdef0123", 1767225600, R"({"id":"e1"})"),
      kExpected);
}

TEST(SignatureTest, EveryPartOfTheSignedContentCounts) {
  const std::string key = *SecretKey(kSecret);
  const std::string base = Sign(key, "msg_a", 100, "{}");
  EXPECT_NE(Sign(key, "msg_b", 100, "{}"), base);
  EXPECT_NE(Sign(key, "msg_a", 101, "{}"), base);
  EXPECT_NE(Sign(key, "msg_a", 100, "{ }"), base);
}

TEST(SignatureTest, RotationSignsWithBothKeys) {
  const std::string old_key = *SecretKey(kSecret);
  absl::StatusOr<std::string> fresh = NewWebhookSecret();
  ASSERT_TRUE(fresh.ok());
  const std::string new_key = *SecretKey(*fresh);
  const std::string header =
      SignatureHeader({new_key, old_key}, "msg_a", 7, "{}");
  std::vector<std::string> parts = absl::StrSplit(header, ' ');
  EXPECT_THAT(parts, ::testing::ElementsAre(Sign(new_key, "msg_a", 7, "{}"),
                                            Sign(old_key, "msg_a", 7, "{}")));
}

TEST(SignatureTest, NewSecretsAreWellFormedAndDiffer) {
  absl::StatusOr<std::string> a = NewWebhookSecret();
  absl::StatusOr<std::string> b = NewWebhookSecret();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(absl::StartsWith(*a, "whsec_"));
  EXPECT_NE(*a, *b);
  EXPECT_EQ(SecretKey(*a)->size(), 32u);
}

TEST(SignatureTest, MalformedSecretsAreRefused) {
  EXPECT_FALSE(SecretKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").ok());
  EXPECT_FALSE(SecretKey("whsec_not*base64").ok());
  EXPECT_FALSE(SecretKey("whsec_AAEC").ok());  // 3 bytes
}

}  // namespace
}  // namespace training::notification::webhooks
