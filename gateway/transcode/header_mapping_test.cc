#include "gateway/transcode/header_mapping.h"

#include "common/status/errors.h"
#include "common/text/text.h"
#include "gateway/transcode/testdata/things_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "training/transcodetest/v1/things.pb.h"

namespace training::gateway::transcode {
namespace {

namespace tt = training::transcodetest::v1;

class HeaderMappingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = ThingsTable();
    ASSERT_NE(table_, nullptr);
  }
  const Route& RouteFor(const char* method, const char* path) {
    return *table_->Find(method, path)->route;
  }
  std::unique_ptr<RouteTable> table_;
};

TEST_F(HeaderMappingTest, UuidKeysPassThroughOthersBecomeStableUuids) {
  auto uuid = RequestIdForKey("3F8D2A51-6C0E-4B7A-9E14-7D2C5B8A90F6", "");
  ASSERT_TRUE(uuid.ok());
  EXPECT_EQ(*uuid, "3f8d2a51-6c0e-4b7a-9e14-7d2c5b8a90f6");
  EXPECT_FALSE(RequestIdForKey("order-17", "").ok())
      << "an anonymous key must be a UUID: nothing scopes it";
  EXPECT_FALSE(RequestIdForKey("00000000-0000-0000-0000-000000000000", "").ok())
      << "nor a guessable one: version 4 only";
  EXPECT_FALSE(
      RequestIdForKey("3f8d2a51-6c0e-1b7a-9e14-7d2c5b8a90f6", "").ok());
  auto scoped = RequestIdForKey("3F8D2A51-6C0E-4B7A-9E14-7D2C5B8A90F6", "k");
  ASSERT_TRUE(scoped.ok());
  EXPECT_NE(*scoped, *uuid) << "with credentials, even a UUID is scoped";

  auto a = RequestIdForKey("order-17", "Bearer k1");
  auto again = RequestIdForKey("order-17", "Bearer k1");
  auto other_caller = RequestIdForKey("order-17", "Bearer k2");
  auto other_key = RequestIdForKey("order-18", "Bearer k1");
  ASSERT_TRUE(a.ok() && again.ok() && other_caller.ok() && other_key.ok());
  EXPECT_TRUE(text::IsUuid(*a));
  EXPECT_EQ((*a)[14], '5') << "version 5";
  EXPECT_EQ(*a, *again);
  EXPECT_NE(*a, *other_caller);
  EXPECT_NE(*a, *other_key);

  EXPECT_FALSE(RequestIdForKey("", "k").ok());
  EXPECT_FALSE(RequestIdForKey(std::string(256, 'k'), "k").ok());
  EXPECT_FALSE(RequestIdForKey("has space", "k").ok());
  EXPECT_FALSE(RequestIdForKey("caf\xc3\xa9", "k").ok());
}

TEST_F(HeaderMappingTest, IdempotencyKeyFillsRequestIdUnlessTheBodyDid) {
  const Route& rename = RouteFor("POST", "/v1/shelves/s/things/t:rename");
  tt::RenameThingRequest request;
  ASSERT_TRUE(ApplyIdempotencyKey(rename, "k", "Bearer x", &request).ok());
  EXPECT_TRUE(text::IsUuid(request.request_id()));
  request.set_request_id("from-body");
  ASSERT_TRUE(ApplyIdempotencyKey(rename, "k", "Bearer x", &request).ok());
  EXPECT_EQ(request.request_id(), "from-body");

  tt::Thing label;
  const Route& no_id = RouteFor("POST", "/v1/shelves/s/things/t:label");
  absl::Status refused = ApplyIdempotencyKey(no_id, "k", "", &label);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetFieldViolations(refused).at(0).field, "Idempotency-Key");
  tt::GetThingRequest get;
  EXPECT_TRUE(
      ApplyIdempotencyKey(RouteFor("GET", "/v1/things/x"), "k", "", &get).ok())
      << "a GET is idempotent already";
}

TEST_F(HeaderMappingTest, IfMatchSetsTheBodyResourcesEtag) {
  const Route& update = RouteFor("PATCH", "/v1/shelves/s/things/t");
  tt::UpdateThingRequest request;
  ASSERT_TRUE(ApplyIfMatch(update, "\"7\"", &request).ok());
  EXPECT_EQ(request.thing().etag(), "7");
  tt::UpdateThingRequest weak;
  absl::Status weak_status = ApplyIfMatch(update, "W/\"8\"", &weak);
  EXPECT_EQ(weak_status.code(), absl::StatusCode::kAborted)
      << "a weak tag never matches If-Match";
  tt::UpdateThingRequest any;
  ASSERT_TRUE(ApplyIfMatch(update, "*", &any).ok());
  EXPECT_EQ(any.thing().etag(), "");

  tt::UpdateThingRequest clash;
  clash.mutable_thing()->set_etag("6");
  EXPECT_FALSE(ApplyIfMatch(update, "\"7\"", &clash).ok());
  EXPECT_FALSE(ApplyIfMatch(update, "7", &request).ok()) << "unquoted";
  EXPECT_FALSE(ApplyIfMatch(update, "\"1\", \"2\"", &request).ok());
  tt::RenameThingRequest rename;
  EXPECT_FALSE(ApplyIfMatch(RouteFor("POST", "/v1/shelves/s/things/t:rename"),
                            "\"1\"", &rename)
                   .ok())
      << "no etag to carry it";
}

TEST_F(HeaderMappingTest, OneIfNoneMatchTagIsPassedToRequestsThatTakeIt) {
  const Route& get = RouteFor("GET", "/v1/shelves/s/things/t");
  tt::GetThingRequest request;
  ApplyIfNoneMatch(get, "\"42\"", &request);
  EXPECT_EQ(request.if_none_match(), "42");
  ApplyIfNoneMatch(get, "W/\"43\"", &request);
  EXPECT_EQ(request.if_none_match(), "43") << "If-None-Match compares weakly";
  for (const char* left_to_compare : {"*", "\"1\", \"2\"", "44", "\"\""}) {
    tt::GetThingRequest untouched;
    ApplyIfNoneMatch(get, left_to_compare, &untouched);
    EXPECT_EQ(untouched.if_none_match(), "") << left_to_compare;
  }
}

TEST_F(HeaderMappingTest, EtagAndIfNoneMatch) {
  tt::Thing thing;
  thing.set_etag("42");
  EXPECT_EQ(EtagOf(thing), "42");
  EXPECT_EQ(EtagHeader("42"), "\"42\"");
  EXPECT_EQ(EtagOf(tt::GetThingRequest()), "");
  EXPECT_TRUE(IfNoneMatchHits("\"42\"", "42"));
  EXPECT_TRUE(IfNoneMatchHits("\"1\", W/\"42\"", "42"));
  EXPECT_TRUE(IfNoneMatchHits("*", "42"));
  EXPECT_FALSE(IfNoneMatchHits("\"41\"", "42"));
  EXPECT_FALSE(IfNoneMatchHits("42", "42")) << "unquoted is no entity tag";
  EXPECT_FALSE(IfNoneMatchHits("*", "")) << "nothing to match";
}

}  // namespace
}  // namespace training::gateway::transcode
