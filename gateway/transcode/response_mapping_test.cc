#include "gateway/transcode/response_mapping.h"

#include "common/status/errors.h"
#include "gateway/transcode/error_mapping.h"
#include "gateway/transcode/testdata/things_table.h"
#include "gmock/gmock.h"
#include "google/api/httpbody.pb.h"
#include "gtest/gtest.h"
#include "training/transcodetest/v1/things.pb.h"

namespace training::gateway::transcode {
namespace {

namespace tt = training::transcodetest::v1;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(ResponseMappingTest, LowerCamelWithDefaultsShown) {
  auto table = ThingsTable();
  ASSERT_NE(table, nullptr);
  tt::Thing thing;
  thing.set_name("shelves/s/things/t");
  thing.set_display_name("A \"quoted\" name");
  auto body = BuildResponseBody(
      *table->Find("GET", "/v1/shelves/s/things/t")->route, thing);
  EXPECT_EQ(body.content_type, "application/json");
  EXPECT_THAT(body.body, HasSubstr(R"("displayName":"A \"quoted\" name")"));
  EXPECT_THAT(body.body, HasSubstr(R"("colour":"COLOUR_UNSPECIFIED")"));
  EXPECT_THAT(body.body, HasSubstr(R"("etag":"")"));
}

TEST(ResponseMappingTest, ResponseBodySendsOneField) {
  auto table = ThingsTable();
  ASSERT_NE(table, nullptr);
  tt::ListThingsResponse list;
  list.add_things()->set_name("a");
  list.add_things()->set_name("b");
  list.set_next_page_token("next");
  auto body = BuildResponseBody(*table->Find("GET", "/v1/things")->route, list);
  EXPECT_EQ(body.body.front(), '[');
  EXPECT_THAT(body.body, HasSubstr(R"("name":"a")"));
  EXPECT_THAT(body.body, HasSubstr(R"("name":"b")"));
  EXPECT_EQ(body.body.find("next"), std::string::npos);
}

TEST(ResponseMappingTest, HttpBodyIsSentAsItIs) {
  auto table = ThingsTable();
  ASSERT_NE(table, nullptr);
  google::api::HttpBody file;
  file.set_content_type("text/csv; charset=utf-8");
  file.set_data("a,b\r\n");
  auto body =
      BuildResponseBody(*table->Find("GET", "/v1/files/x.csv")->route, file);
  EXPECT_EQ(body.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(body.body, "a,b\r\n");
}

TEST(ErrorMappingTest, TheTable) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument, ""), 400);
  EXPECT_EQ(
      HttpStatusFor(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED"),
      422);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAborted, "ETAG_MISMATCH"), 412);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAborted, ""), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kFailedPrecondition, ""), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kNotFound, ""), 404);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated, ""), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied, ""), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kResourceExhausted, ""), 429);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable, ""), 503);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDeadlineExceeded, ""), 504);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnimplemented, ""), 501);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kCancelled, ""), 499);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInternal, ""), 500);
}

TEST(ErrorMappingTest, Aip193ShapeWithTypedDetails) {
  absl::Status status =
      InvalidArgumentError({{"booking.attendee.email", "must be an address"}});
  status = WithErrorInfo(status, "BAD_THING", {{"k", "v"}});
  HttpError error = RenderError(status);
  EXPECT_EQ(error.status, 400);
  EXPECT_THAT(error.body, HasSubstr(R"({"error":{"code":400,)"));
  EXPECT_THAT(error.body, HasSubstr(R"("status":"INVALID_ARGUMENT")"));
  EXPECT_THAT(
      error.body,
      HasSubstr(R"("@type":"type.googleapis.com/google.rpc.BadRequest")"));
  EXPECT_THAT(error.body, HasSubstr(R"("field":"booking.attendee.email")"));
  EXPECT_THAT(
      error.body,
      HasSubstr(R"("@type":"type.googleapis.com/google.rpc.ErrorInfo")"));
  EXPECT_THAT(error.body, HasSubstr(R"("reason":"BAD_THING")"));
}

TEST(ErrorMappingTest, RetryAfterAndAuthenticateHeaders) {
  HttpError busy = RenderError(WithRetryInfo(
      absl::ResourceExhaustedError("busy"), absl::Milliseconds(1500)));
  EXPECT_EQ(busy.status, 429);
  EXPECT_THAT(busy.headers, Contains(Pair("Retry-After", "2")));
  EXPECT_THAT(busy.body, HasSubstr("google.rpc.RetryInfo"));

  HttpError down = RenderError(absl::UnavailableError("backend down"));
  EXPECT_EQ(down.status, 503);
  EXPECT_THAT(down.headers, Contains(Pair("Retry-After", "1")));

  HttpError who = RenderError(absl::UnauthenticatedError("credentials"));
  EXPECT_THAT(who.headers, Contains(Pair("WWW-Authenticate", "Bearer")));
  EXPECT_THAT(who.body, HasSubstr(R"("details":[])"));
}

TEST(ErrorMappingTest, MessagesAreEscaped) {
  HttpError error = RenderError(absl::NotFoundError("no \"x\"\n\x01"));
  EXPECT_THAT(error.body, HasSubstr(R"("message":"no \"x\"\n\u0001")"));
}

}  // namespace
}  // namespace training::gateway::transcode
