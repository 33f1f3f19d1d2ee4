#include "gateway/transcode/path_matcher.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::gateway::transcode {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class PathMatcherTest : public ::testing::Test {
 protected:
  void Add(const char* method, const char* text, int route) {
    auto path = ParsePathTemplate(text);
    ASSERT_TRUE(path.ok()) << path.status();
    ASSERT_TRUE(matcher_.Add(method, *path, route).ok()) << text;
  }
  PathMatcher matcher_;
};

TEST_F(PathMatcherTest, FindsEachFormAndBindsVariables) {
  Add("GET", "/v1/courses", 0);
  Add("GET", "/v1/{name=courses/*}", 1);
  Add("GET", "/v1/{name=courses/*/sessions/*}", 2);
  Add("POST", "/v1/{name=courses/*/sessions/*}:cancel", 3);
  Add("GET", "/v1/files/{path=**}", 4);
  Add("GET", "/v1/shelves/{shelf}/books/{book}", 5);

  auto m = matcher_.Find("GET", "/v1/courses");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->route, 0);

  m = matcher_.Find("GET", "/v1/courses/mi-intro");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->route, 1);
  EXPECT_THAT(m->values, ElementsAre("courses/mi-intro"));

  m = matcher_.Find("GET", "/v1/courses/mi/sessions/s1");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->route, 2);
  EXPECT_THAT(m->values, ElementsAre("courses/mi/sessions/s1"));

  m = matcher_.Find("POST", "/v1/courses/mi/sessions/s1:cancel");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->route, 3);
  EXPECT_THAT(m->values, ElementsAre("courses/mi/sessions/s1"));

  m = matcher_.Find("GET", "/v1/files/a/b/c.txt");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->route, 4);
  EXPECT_THAT(m->values, ElementsAre("a/b/c.txt"));

  m = matcher_.Find("GET", "/v1/files");
  ASSERT_TRUE(m.has_value()) << "'**' matches zero segments";
  EXPECT_THAT(m->values, ElementsAre(""));

  m = matcher_.Find("GET", "/v1/shelves/s/books/b");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->route, 5);
  EXPECT_THAT(m->values, ElementsAre("s", "b"));
}

TEST_F(PathMatcherTest, LiteralIsPreferredToWildcard) {
  Add("GET", "/v1/{name=courses/*}", 0);
  Add("GET", "/v1/courses/special", 1);
  EXPECT_EQ(matcher_.Find("GET", "/v1/courses/special")->route, 1);
  EXPECT_EQ(matcher_.Find("GET", "/v1/courses/other")->route, 0);
}

TEST_F(PathMatcherTest, BacktracksWhenTheLiteralBranchDeadEnds) {
  Add("GET", "/v1/courses/special", 0);
  Add("GET", "/v1/{name=courses/*/sessions}", 1);
  auto m = matcher_.Find("GET", "/v1/courses/special/sessions");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->route, 1);
  EXPECT_THAT(m->values, ElementsAre("courses/special/sessions"));
}

TEST_F(PathMatcherTest, VerbMustMatch) {
  Add("POST", "/v1/{name=bookings/*}:cancel", 0);
  Add("GET", "/v1/{name=bookings/*}", 1);
  EXPECT_FALSE(matcher_.Find("POST", "/v1/bookings/b1:refund").has_value());
  EXPECT_FALSE(matcher_.Find("POST", "/v1/bookings/b1").has_value());
  // Without a route of that verb, the colon is part of the name.
  auto m = matcher_.Find("GET", "/v1/bookings/b1:x");
  ASSERT_TRUE(m.has_value());
  EXPECT_THAT(m->values, ElementsAre("bookings/b1:x"));
  // With one under another method, it is that route's (a 405).
  EXPECT_FALSE(matcher_.Find("GET", "/v1/bookings/b1:cancel").has_value());
  EXPECT_THAT(matcher_.AllowedMethods("/v1/bookings/b1:cancel"),
              ElementsAre("POST"));
  EXPECT_THAT(matcher_.AllowedMethods("/v1/bookings/b1:%63ancel"),
              ElementsAre("POST"))
      << "the verb is decoded as Find decodes it";
}

TEST_F(PathMatcherTest, PercentDecodingOfValues) {
  Add("GET", "/v1/things/{name}", 0);
  Add("GET", "/v1/files/{path=**}", 1);
  auto m = matcher_.Find("GET", "/v1/things/a%2Fb%20c");
  ASSERT_TRUE(m.has_value());
  EXPECT_THAT(m->values, ElementsAre("a/b c")) << "single segment: all decoded";
  m = matcher_.Find("GET", "/v1/files/x%2Fy/z%20w");
  ASSERT_TRUE(m.has_value());
  EXPECT_THAT(m->values, ElementsAre("x%2Fy/z w"))
      << "several segments: %2F stays escaped";
  EXPECT_FALSE(matcher_.Find("GET", "/v1/things/a%zz").has_value());
  EXPECT_FALSE(matcher_.Find("GET", "/v1/things/a%2").has_value());
}

TEST_F(PathMatcherTest, EmptySegmentsAndWrongShapesDoNotMatch) {
  Add("GET", "/v1/things/{name}", 0);
  Add("GET", "/v1/files/{path=**}", 1);
  EXPECT_FALSE(matcher_.Find("GET", "/v1/things/").has_value());
  EXPECT_FALSE(matcher_.Find("GET", "/v1/things//").has_value());
  EXPECT_FALSE(matcher_.Find("GET", "/v1/things/a/b").has_value());
  EXPECT_FALSE(matcher_.Find("GET", "/v1/files/a//b").has_value());
  EXPECT_FALSE(matcher_.Find("GET", "v1/things/a").has_value());
  EXPECT_FALSE(matcher_.Find("GET", "").has_value());
}

TEST_F(PathMatcherTest, AllowedMethodsNameEveryMethodOfThePath) {
  Add("GET", "/v1/{name=courses/*}", 0);
  Add("PATCH", "/v1/{course.name=courses/*}", 1);
  Add("DELETE", "/v1/courses/fixed", 2);
  EXPECT_THAT(matcher_.AllowedMethods("/v1/courses/x"),
              ElementsAre("GET", "PATCH"));
  EXPECT_THAT(matcher_.AllowedMethods("/v1/courses/fixed"),
              ElementsAre("DELETE", "GET", "PATCH"));
  EXPECT_THAT(matcher_.AllowedMethods("/v1/nothing"), IsEmpty());
  EXPECT_FALSE(matcher_.Find("PUT", "/v1/courses/x").has_value());
}

TEST_F(PathMatcherTest, SameShapeSameMethodIsAConflict) {
  Add("GET", "/v1/{name=boxes/*}", 0);
  auto other = ParsePathTemplate("/v1/boxes/{id}");
  ASSERT_TRUE(other.ok());
  absl::Status status = matcher_.Add("GET", *other, 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(status.message()), HasSubstr("/v1/{name=boxes/*}"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("/v1/boxes/{id}"));
  // Another method or verb is no conflict.
  EXPECT_TRUE(matcher_.Add("POST", *other, 2).ok());
  auto verb = ParsePathTemplate("/v1/boxes/{id}:open");
  ASSERT_TRUE(verb.ok());
  EXPECT_TRUE(matcher_.Add("GET", *verb, 3).ok());
}

TEST_F(PathMatcherTest, ManyRoutesStillMatchByShape) {
  for (int i = 0; i < 500; ++i) {
    auto path = ParsePathTemplate("/v1/c" + std::to_string(i) + "/{name}");
    ASSERT_TRUE(path.ok());
    ASSERT_TRUE(matcher_.Add("GET", *path, i).ok());
  }
  auto m = matcher_.Find("GET", "/v1/c437/x");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->route, 437);
}

TEST(PercentDecodeTest, Rules) {
  EXPECT_EQ(PercentDecode("a%41b"), "aAb");
  EXPECT_EQ(PercentDecode("%2f", true), "%2f");
  EXPECT_EQ(PercentDecode("%2f", false), "/");
  EXPECT_FALSE(PercentDecode("%").has_value());
  EXPECT_FALSE(PercentDecode("%4").has_value());
  EXPECT_FALSE(PercentDecode("%g1").has_value());
}

}  // namespace
}  // namespace training::gateway::transcode
