#include "gateway/transcode/route_table.h"

#include "gateway/transcode/suite_services.h"
#include "gateway/transcode/testdata/things_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "training/transcodetest/v1/things.pb.h"

namespace training::gateway::transcode {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RouteTableTest, EveryRuleAndBindingBecomesARoute) {
  auto table = ThingsTable();
  ASSERT_NE(table, nullptr);
  std::vector<std::string> names;
  for (const Route& route : table->routes()) names.push_back(route.Name());
  EXPECT_THAT(
      names,
      ElementsAre("GET /v1/{name=shelves/*/things/*}", "GET /v1/things/{name}",
                  "GET /v1/{parent=shelves/*}/things", "GET /v1/things",
                  "PATCH /v1/{thing.name=shelves/*/things/*}",
                  "POST /v1/{name=shelves/*/things/*}:rename",
                  "DELETE /v1/{name=shelves/*/things/*}",
                  "GET /v1/files/{path=**}",
                  "PUT /v1/{name=shelves/*/things/*}/file",
                  "POST /v1/{name=shelves/*/things/*}:label"))
      << "Internal has no rule, so no route";
}

TEST(RouteTableTest, RoutesCarryWhatTheRuleSays) {
  auto table = ThingsTable();
  ASSERT_NE(table, nullptr);
  auto found = table->Find("PATCH", "/v1/shelves/s/things/t");
  ASSERT_TRUE(found.has_value());
  const Route& update = *found->route;
  EXPECT_EQ(update.grpc_path, "/training.transcodetest.v1.Things/UpdateThing");
  EXPECT_EQ(update.backend, "things");
  ASSERT_EQ(update.variables.size(), 1u);
  EXPECT_EQ(FieldPathName(update.variables[0]), "thing.name");
  EXPECT_EQ(update.body, Route::Body::kField);
  EXPECT_EQ(update.body_field->name(), "thing");
  EXPECT_EQ(update.request_id, nullptr);
  EXPECT_THAT(found->values, ElementsAre("shelves/s/things/t"));

  found = table->Find("POST", "/v1/shelves/s/things/t:rename");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->route->body, Route::Body::kWhole);
  ASSERT_NE(found->route->request_id, nullptr);

  found = table->Find("GET", "/v1/things");
  ASSERT_TRUE(found.has_value());
  ASSERT_NE(found->route->response_field, nullptr);
  EXPECT_EQ(found->route->response_field->name(), "things");

  found = table->Find("GET", "/v1/things/t1");
  ASSERT_TRUE(found.has_value()) << "the additional binding";
  EXPECT_EQ(found->route->method->name(), "GetThing");
  EXPECT_THAT(found->values, ElementsAre("t1"));
}

TEST(RouteTableTest, ConflictIsAStartUpError) {
  (void)training::transcodetest::v1::Thing::descriptor();
  auto table =
      RouteTable::Build({{"things", "training.transcodetest.v1.Conflicting"}});
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(table.status().message()),
              HasSubstr("route conflict"));
}

TEST(RouteTableTest, UnknownFieldInATemplateIsAStartUpError) {
  (void)training::transcodetest::v1::Thing::descriptor();
  auto table =
      RouteTable::Build({{"things", "training.transcodetest.v1.UnknownField"}});
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(table.status().message()), HasSubstr("title"));
}

TEST(RouteTableTest, UnknownServiceIsAStartUpError) {
  auto table = RouteTable::Build({{"x", "training.nothing.v1.Nothing"}});
  EXPECT_EQ(table.status().code(), absl::StatusCode::kNotFound);
}

TEST(RouteTableTest, TheSuitesContractBuildsWithoutConflicts) {
  auto table = RouteTable::Build(SuiteServices());
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_GT(table->get()->routes().size(), 50u);
  auto cancel = table->get()->Find("POST", "/v1/bookings/b-1:cancel");
  ASSERT_TRUE(cancel.has_value());
  EXPECT_EQ(cancel->route->method->name(), "CancelBooking");
  EXPECT_EQ(cancel->route->access.audience(), training::api::v1::MANAGE_TOKEN);
}

TEST(ResolveFieldPathTest, ProtoAndJsonNames) {
  const auto* request =
      training::transcodetest::v1::ListThingsRequest::descriptor();
  auto path = ResolveFieldPath(request, "inner.label", false);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(FieldPathName(*path), "inner.label");
  EXPECT_FALSE(ResolveFieldPath(request, "pageSize", false).ok());
  path = ResolveFieldPath(request, "pageSize", true);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(FieldPathName(*path), "page_size");
  EXPECT_FALSE(ResolveFieldPath(request, "page_size.x", true).ok());
  EXPECT_FALSE(ResolveFieldPath(request, "nope", true).ok());
}

}  // namespace
}  // namespace training::gateway::transcode
