#include "gateway/transcode/path_template.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::gateway::transcode {
namespace {

using Kind = PathTemplate::Segment::Kind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(PathTemplateTest, LiteralsOnly) {
  auto path = ParsePathTemplate("/v1/courses");
  ASSERT_TRUE(path.ok()) << path.status();
  ASSERT_EQ(path->segments.size(), 2u);
  EXPECT_EQ(path->segments[0].literal, "v1");
  EXPECT_EQ(path->segments[1].literal, "courses");
  EXPECT_TRUE(path->variables.empty());
  EXPECT_EQ(path->verb, "");
}

TEST(PathTemplateTest, ShortVariableIsOneWildcard) {
  auto path = ParsePathTemplate("/v1/things/{name}");
  ASSERT_TRUE(path.ok()) << path.status();
  ASSERT_EQ(path->segments.size(), 3u);
  EXPECT_EQ(path->segments[2].kind, Kind::kWildcard);
  ASSERT_EQ(path->variables.size(), 1u);
  EXPECT_THAT(path->variables[0].field_path, ElementsAre("name"));
  EXPECT_EQ(path->variables[0].first_segment, 2);
  EXPECT_EQ(path->variables[0].end_segment, 3);
}

TEST(PathTemplateTest, MultiSegmentNestedVariableAndVerb) {
  auto path =
      ParsePathTemplate("/v1/{session.name=courses/*/sessions/*}:cancel");
  ASSERT_TRUE(path.ok()) << path.status();
  ASSERT_EQ(path->segments.size(), 5u);
  EXPECT_EQ(path->segments[1].literal, "courses");
  EXPECT_EQ(path->segments[2].kind, Kind::kWildcard);
  EXPECT_EQ(path->segments[3].literal, "sessions");
  ASSERT_EQ(path->variables.size(), 1u);
  EXPECT_THAT(path->variables[0].field_path, ElementsAre("session", "name"));
  EXPECT_EQ(path->variables[0].first_segment, 1);
  EXPECT_EQ(path->variables[0].end_segment, 5);
  EXPECT_EQ(path->verb, "cancel");
}

TEST(PathTemplateTest, DoubleWildcardLast) {
  auto path = ParsePathTemplate("/v1/files/{path=**}");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_TRUE(path->ends_with_double_wildcard());
}

TEST(PathTemplateTest, TwoVariables) {
  auto path = ParsePathTemplate("/v1/shelves/{shelf}/books/{book.id}");
  ASSERT_TRUE(path.ok()) << path.status();
  ASSERT_EQ(path->variables.size(), 2u);
  EXPECT_EQ(path->variables[1].first_segment, 4);
}

TEST(PathTemplateTest, RefusesMalformedTemplates) {
  for (const char* bad :
       {"v1/courses", "/v1//courses", "/v1/{name", "/v1/{na-me}", "/v1/{1name}",
        "/v1/{name=a/{b}}", "/v1/**/things", "/v1/things:", "/v1/{a}/{a}",
        "/v1/things/", "/v1/th ings", "/v1/{name=}"}) {
    auto path = ParsePathTemplate(bad);
    EXPECT_FALSE(path.ok()) << bad;
    if (!path.ok()) {
      EXPECT_THAT(std::string(path.status().message()), HasSubstr(bad));
    }
  }
}

}  // namespace
}  // namespace training::gateway::transcode
