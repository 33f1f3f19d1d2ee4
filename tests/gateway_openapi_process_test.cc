// The OpenAPI document as an integrator meets it: served by the running
// gateway, the same document the route table describes, and enough for a
// client made from it alone (swagger-client, from npm) to book a place,
// read it back with its manage token and cancel it.

#include "absl/strings/match.h"
#include "gateway/openapi/openapi_document.h"
#include "gateway/transcode/suite_services.h"
#include "tests/gateway_process_fixture.h"

namespace training::testing {
namespace {

using ::testing::HasSubstr;

using GatewayOpenApiTest = GatewayFlowTest;

TEST_F(GatewayOpenApiTest, ServedDocumentIsTheRouteTablesWithAnEtag) {
  HttpReply served = Call("GET", "/openapi.json");
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_THAT(served.Header("content-type"), HasSubstr("application/json"));
  auto routes = gateway::transcode::RouteTable::Build(
      gateway::transcode::SuiteServices());
  ASSERT_TRUE(routes.ok());
  auto comments = gateway::openapi::DescriptorComments::Embedded();
  ASSERT_TRUE(comments.ok());
  EXPECT_EQ(
      served.body,
      gateway::openapi::BuildOpenApiDocument(**routes, **comments, {}).dump());

  const std::string etag = served.Header("etag");
  ASSERT_FALSE(etag.empty());
  HttpReply again = Call("GET", "/openapi.json", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
}

TEST_F(GatewayOpenApiTest, AClientMadeFromTheDocumentBooksAPlace) {
  const std::vector<std::string> sessions = CreateProgramme();
  ASSERT_FALSE(sessions.empty());
  const std::string dir = MakeTempDir("generated-client");
  ChildProcess client(
      NODE_BINARY,
      {SOURCE_DIR "/tests/openapi/book_with_generated_client.mjs",
       absl::StrCat("http://127.0.0.1:", gateway_.port), sessions[0]},
      {}, dir + "/log");
  EXPECT_EQ(client.Wait(kWatchdog), 0) << client.Log();
  const std::string log = client.Log();
  EXPECT_THAT(log, HasSubstr("CreateBooking: 200"));
  EXPECT_THAT(log, HasSubstr("state: CONFIRMED"));
  EXPECT_THAT(log, HasSubstr("GetBooking: 200"));
  EXPECT_THAT(log, HasSubstr("state: CANCELLED"));

  // The place it freed is free again.
  HttpReply availability = Call(
      "GET", "/v1/availability:batchGet?sessions=" + UrlEncode(sessions[0]));
  EXPECT_THAT(availability.body, HasSubstr(R"("remaining":1)"));
}

}  // namespace
}  // namespace training::testing
