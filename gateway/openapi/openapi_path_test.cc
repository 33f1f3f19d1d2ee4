#include "gateway/openapi/openapi_path.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::gateway::openapi {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

OpenApiPath PathOf(const char* text) {
  auto parsed = transcode::ParsePathTemplate(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return ToOpenApiPath(*parsed);
}

TEST(OpenApiPathTest, LiteralsStayAsTheyAre) {
  EXPECT_EQ(PathOf("/v1/courses").path, "/v1/courses");
  EXPECT_TRUE(PathOf("/v1/courses").parameters.empty());
  EXPECT_EQ(PathOf("/v1/reports/reach:export").path,
            "/v1/reports/reach:export");
}

TEST(OpenApiPathTest, MultiSegmentVariableIsWrittenOutByCollection) {
  OpenApiPath path = PathOf("/v1/{name=courses/*/sessions/*}:cancel");
  EXPECT_EQ(path.path, "/v1/courses/{course}/sessions/{session}:cancel");
  ASSERT_EQ(path.parameters.size(), 2u);
  for (const PathParameter& p : path.parameters) {
    EXPECT_EQ(p.field, "name");
    EXPECT_EQ(p.pattern, "courses/{course}/sessions/{session}");
    EXPECT_FALSE(p.whole_field);
  }
}

TEST(OpenApiPathTest, NestedFieldAndTextAfterTheVariable) {
  OpenApiPath path = PathOf("/v1/{session.name=courses/*/sessions/*}/register");
  EXPECT_EQ(path.path, "/v1/courses/{course}/sessions/{session}/register");
  EXPECT_EQ(path.parameters[0].field, "session.name");
}

TEST(OpenApiPathTest, OneSegmentVariableIsNamedAfterItsField) {
  OpenApiPath path = PathOf("/v1/things/{thing_id}");
  EXPECT_EQ(path.path, "/v1/things/{thing_id}");
  EXPECT_THAT(path.parameters,
              ElementsAre(Field(&PathParameter::whole_field, true)));
}

TEST(OpenApiPathTest, RepeatedCollectionNamesStayDistinct) {
  OpenApiPath path = PathOf("/v1/{name=items/*/items/*}");
  EXPECT_EQ(path.path, "/v1/items/{item}/items/{item2}");
}

TEST(OpenApiPathTest, DoubleWildcardMayHoldSlashes) {
  OpenApiPath path = PathOf("/v1/{name=files/**}");
  EXPECT_EQ(path.path, "/v1/files/{file}");
  EXPECT_TRUE(path.parameters[0].many_segments);
}

TEST(OpenApiPathTest, SingularOfCollections) {
  EXPECT_EQ(Singular("courses"), "course");
  EXPECT_EQ(Singular("deliveries"), "delivery");
  EXPECT_EQ(Singular("address"), "address");
  EXPECT_EQ(Singular("staff"), "staff");
}

}  // namespace
}  // namespace training::gateway::openapi
