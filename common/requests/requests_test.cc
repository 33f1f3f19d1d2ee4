#include "common/requests/requests.h"

#include "common/status/errors.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "training/catalogue/v1/catalogue_service.pb.h"

namespace training::requests {
namespace {

using ::training::testing::StatusIs;

TEST(PageTokenTest, RoundTripsAndRejectsOthers) {
  const std::string token =
      EncodePageToken({"12345", "courses/a/sessions/b"}, "filters-1");

  auto key = DecodePageToken(token, "filters-1");

  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->sort_key, "12345");
  EXPECT_EQ(key->name, "courses/a/sessions/b");
  EXPECT_THAT(DecodePageToken(token, "filters-2").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodePageToken("garbage!", "filters-1").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodePageToken("", "filters-1").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Keys are encoded, not delimited: an organisation holding the token's own
// separator (or anything else) pages like any other.
TEST(PageTokenTest, AKeyHoldingTheSeparatorRoundTrips) {
  for (const std::string& name : {std::string("Smith\x1f"
                                              "Jones"),
                                  std::string("a\x1f\x1f"
                                              "b:c"),
                                  std::string("\x1f"), std::string("")}) {
    const std::string token = EncodePageToken({"3:1\x1f", name}, "f");

    auto key = DecodePageToken(token, "f");

    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(key->sort_key, "3:1\x1f");
    EXPECT_EQ(key->name, name);
  }
}

TEST(PageSizeTest, DefaultsAndCaps) {
  EXPECT_EQ(*EffectivePageSize(0), 50);
  EXPECT_EQ(*EffectivePageSize(7), 7);
  EXPECT_EQ(*EffectivePageSize(5000), 200);
  EXPECT_EQ(*EffectivePageSize(0, 500, 1000), 500);
  EXPECT_THAT(EffectivePageSize(-1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FingerprintTest, PagingFieldsDoNotChangeTheFilters) {
  catalogue::v1::ListSessionsRequest a;
  a.set_parent("courses/-");
  a.set_area("CM1");
  catalogue::v1::ListSessionsRequest b = a;
  b.set_page_size(7);
  b.set_page_token("x");
  catalogue::v1::ListSessionsRequest c = a;
  c.set_area("CM2");

  EXPECT_EQ(FiltersFingerprint(a), FiltersFingerprint(b));
  EXPECT_NE(FiltersFingerprint(a), FiltersFingerprint(c));
  EXPECT_NE(RequestFingerprint(a), RequestFingerprint(b));
  EXPECT_EQ(RequestFingerprint(a).size(), 64u);
}

struct Record {
  std::string fingerprint;
  std::string result;
};

TEST(ReplayTest, FreshReplayedOrReused) {
  const std::optional<Record> none;
  const std::optional<Record> kept = Record{"f1", "bookings/K7QXM4RA"};

  absl::StatusOr<const Record*> fresh = Replayed(none, "f1");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(*fresh, nullptr);

  absl::StatusOr<const Record*> retry = Replayed(kept, "f1");
  ASSERT_TRUE(retry.ok());
  ASSERT_NE(*retry, nullptr);
  EXPECT_EQ((*retry)->result, "bookings/K7QXM4RA");

  absl::StatusOr<const Record*> reused = Replayed(kept, "f2");
  EXPECT_THAT(reused, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_TRUE(GetErrorInfo(reused.status()).has_value());
  EXPECT_EQ(GetErrorInfo(reused.status())->reason, "REQUEST_ID_REUSED");
  EXPECT_EQ(GetFieldViolations(reused.status()).at(0).field, "request_id");
}

}  // namespace
}  // namespace training::requests
