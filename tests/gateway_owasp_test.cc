// The OWASP API Security Top 10 (2023), item by item where it applies to
// the gateway and the services behind it, tried over HTTP as an attacker
// would. README ("Security at the edge") lists which test covers which
// item; API7 (server-side request forgery) and API9 (inventory) are said
// there too.

#include <signal.h>

#include <fstream>

#include "absl/strings/match.h"
#include "gateway/transcode/route_table.h"
#include "gateway/transcode/suite_services.h"
#include "tests/gateway_process_fixture.h"

namespace training::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

class GatewayOwaspTest : public GatewayFlowTest {
 protected:
  std::vector<std::string> GatewayFlags() override {
    return {"--rate_limit_anonymous_writes=1/h:3"};
  }

  // An anonymous booking of attendee `n` on `session`.
  HttpReply Book(const std::string& session, int n) {
    return Call("POST", "/v1/bookings", {{"idempotency-key", Uuid(n)}},
                BookingJson(session, n));
  }
};

// API1: a booking's token opens that booking only; an agency key sees its
// own organisation's bookings only. (Every route for every kind of caller:
// gateway_access_matrix_test.)
TEST_F(GatewayOwaspTest, API1_ObjectLevelAuthorization) {
  const std::vector<std::string> sessions = CreateProgramme();
  ASSERT_EQ(sessions.size(), 2u);
  const auto mine = Parse<booking::Booking>(Book(sessions[0], 1));
  const auto theirs = Parse<booking::Booking>(Book(sessions[1], 2));
  ASSERT_FALSE(mine.manage_token().empty());
  HttpReply peek =
      Call("GET", "/v1/" + theirs.name(), {Bearer(mine.manage_token())});
  EXPECT_EQ(peek.status, 404);
  HttpReply cancel = Call("POST", "/v1/" + theirs.name() + ":cancel",
                          {Bearer(mine.manage_token())}, "{}");
  EXPECT_EQ(cancel.status, 404);
  EXPECT_EQ(Parse<booking::Booking>(Call("GET", "/v1/" + theirs.name(),
                                         {Bearer(theirs.manage_token())}))
                .state(),
            booking::Booking::CONFIRMED);

  // A booking made with agency A's key (waitlisted: the session is full).
  HttpReply agency_booked =
      Call("POST", "/v1/bookings",
           {Bearer(kAgencyAKey), {"idempotency-key", "owasp-api1-a"}},
           BookingJson(sessions[0], 3));
  ASSERT_EQ(agency_booked.status, 200) << agency_booked.body;
  const std::string a_booking = Parse<booking::Booking>(agency_booked).name();
  HttpReply list_b = Call("GET", "/v1/bookings", {Bearer(kAgencyBKey)});
  ASSERT_EQ(list_b.status, 200);
  EXPECT_THAT(list_b.body, Not(HasSubstr(a_booking)));
  HttpReply list_a = Call("GET", "/v1/bookings", {Bearer(kAgencyAKey)});
  EXPECT_THAT(list_a.body, HasSubstr(a_booking));
}

// API2: garbage, malformed and revoked keys are refused on every route,
// public ones included; a booking's token is not an API key.
TEST_F(GatewayOwaspTest, API2_BrokenAuthentication) {
  for (const HttpHeaders& headers :
       std::vector<HttpHeaders>{{{"authorization", "Bearer nonsense"}},
                                {{"authorization", "Basic YWRtaW46YWRtaW4="}},
                                {{"authorization", "Bearer "}},
                                {{"authorization", "Bearer trk_\xc3\xa9"}}}) {
    HttpReply reply = Call("GET", "/v1/courses", headers);
    EXPECT_EQ(reply.status, 401) << headers[0].second;
    EXPECT_EQ(reply.Header("www-authenticate"), "Bearer");
  }
  const std::vector<std::string> sessions = CreateProgramme();
  const auto booked = Parse<booking::Booking>(Book(sessions[0], 1));
  HttpReply token_as_key =
      Call("GET", "/v1/bookings", {Bearer(booked.manage_token())});
  EXPECT_THAT(token_as_key.status, AnyOf(401, 403)) << token_as_key.body;

  // Revoked: agency B's key leaves the key file; once the services reload
  // it (SIGHUP), the key is refused.
  ASSERT_EQ(Call("GET", "/v1/bookings", {Bearer(kAgencyBKey)}).status, 200);
  std::ofstream(dir_ + "/keys.json") << KeyFile(
      {KeyEntry("admin", kAdminKey, "ADMIN", {}),
       ServiceKeyEntry("booking", kBookingKey, "booking"), ExtraKeys()[0]});
  catalogue_.child->Signal(SIGHUP);
  booking_.child->Signal(SIGHUP);
  int status = 0;
  const absl::Time give_up = absl::Now() + kWatchdog;
  while (absl::Now() < give_up) {
    status = Call("GET", "/v1/bookings", {Bearer(kAgencyBKey)}).status;
    if (status == 401) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(status, 401);
  EXPECT_EQ(Call("GET", "/v1/courses", {Bearer(kAgencyBKey)}).status, 401);
  EXPECT_EQ(Call("GET", "/v1/bookings", {Bearer(kAgencyAKey)}).status, 200);
}

// API3: output-only and identifier fields cannot be set through a body:
// a create ignores them as the contract says, an update mask naming them
// is refused, and a body naming another resource than the path is refused.
TEST_F(GatewayOwaspTest, API3_PropertyLevelAuthorization) {
  const std::vector<std::string> sessions = CreateProgramme();
  HttpReply forged = Call(
      "POST", "/v1/bookings", {{"idempotency-key", Uuid(1)}},
      absl::StrCat(
          R"({"name":"bookings/AAAABBBB","reference":"AAAABBBB",)",
          R"("state":"CANCELLED","waitlistPosition":0,)", R"("session":")",
          sessions[0],
          R"(","attendee":{"displayName":"F","email":"f@nhs.example",)",
          R"("organisation":"Northshire NHS Trust","agencyType":"HEALTH",)",
          R"("jobRole":"Nurse","consentGiven":true}})"));
  ASSERT_EQ(forged.status, 200) << forged.body;
  const auto booked = Parse<booking::Booking>(forged);
  EXPECT_NE(booked.name(), "bookings/AAAABBBB");
  EXPECT_EQ(booked.state(), booking::Booking::CONFIRMED);

  const auto admin = Bearer(kAdminKey);
  HttpReply output_only =
      Call("PATCH", "/v1/courses/intro-mi?updateMask=createTime", {admin},
           R"({"createTime":"2020-01-01T00:00:00Z"})");
  EXPECT_EQ(output_only.status, 400) << output_only.body;
  HttpReply renamed = Call("PATCH", "/v1/courses/intro-mi?updateMask=title",
                           {admin}, R"({"name":"courses/other","title":"x"})");
  EXPECT_EQ(renamed.status, 400) << renamed.body;
  HttpReply course = Call("GET", "/v1/courses/intro-mi");
  EXPECT_THAT(course.body, HasSubstr(R"("title":"Introduction to MI")"));
}

// API4: page sizes are capped, bodies and heads bounded (413, 431), and
// bursts limited (429: gateway_edge_process_test; slow and huge requests:
// gateway_hostile_http_test).
TEST_F(GatewayOwaspTest, API4_UnrestrictedResourceConsumption) {
  CreateProgramme();
  EXPECT_EQ(Call("GET", "/v1/courses?pageSize=100000").status, 200);
  EXPECT_EQ(Call("GET", "/v1/courses?pageSize=-1").status, 400);
  HttpReply big = Call("POST", "/v1/courses?courseId=big", {Bearer(kAdminKey)},
                       std::string(2 << 20, ' '));
  EXPECT_EQ(big.status, 413);
  HttpReply head =
      Call("GET", "/v1/courses", {{"x-padding", std::string(20 << 10, 'a')}});
  EXPECT_EQ(head.status, 431);
}

// API5: internal RPCs have no route at all, and admin routes refuse agency
// keys.
TEST_F(GatewayOwaspTest, API5_FunctionLevelAuthorization) {
  auto routes = gateway::transcode::RouteTable::Build(
      gateway::transcode::SuiteServices());
  ASSERT_TRUE(routes.ok());
  for (const auto& route : (*routes)->routes()) {
    EXPECT_NE(route.access.audience(), api::v1::INTERNAL) << route.Name();
  }
  const auto agency = Bearer(kAgencyAKey);
  EXPECT_EQ(Call("POST", "/v1/courses?courseId=x", {agency}, R"({"title":"x"})")
                .status,
            403);
  EXPECT_EQ(Call("POST", "/v1/courses/intro-mi:archive", {agency}, "{}").status,
            403);
  EXPECT_EQ(
      Call("GET", "/v1/courses/intro-mi/sessions/s1/register", {agency}).status,
      403);
  EXPECT_EQ(Call("POST", "/v1/personalData:erase", {agency}, "{}").status, 403);
  // The internal RPC's name as a custom verb reaches no internal method
  // (here it is read as part of a session's name, which is not valid).
  HttpReply internal =
      Call("GET", "/v1/courses/x/sessions/y:getJoiningDetails", {agency});
  EXPECT_THAT(internal.status, AnyOf(400, 404));
  EXPECT_THAT(internal.body, Not(HasSubstr("joiningUrl")));
}

// API6: anonymous bookings from one address are throttled (3 here, then
// 429) so that a script cannot fill a session with invented people; a
// partner's key is not held back by it.
TEST_F(GatewayOwaspTest, API6_SensitiveBusinessFlowsThrottled) {
  const std::vector<std::string> sessions = CreateProgramme();
  int booked = 0, throttled = 0;
  for (int i = 0; i < 10; ++i) {
    HttpReply reply = Book(sessions[i % 2], 100 + i);
    if (reply.status == 429) {
      ++throttled;
      EXPECT_FALSE(reply.Header("retry-after").empty());
    } else {
      EXPECT_EQ(reply.status, 200) << reply.body;  // confirmed or waitlisted
      ++booked;
    }
  }
  EXPECT_EQ(booked, 3);
  EXPECT_EQ(throttled, 7);
  HttpReply partner =
      Call("POST", "/v1/bookings",
           {Bearer(kAgencyAKey), {"idempotency-key", "owasp-api6"}},
           BookingJson(sessions[0], 200));
  EXPECT_NE(partner.status, 429) << partner.body;
}

// API8: no version banner, no TRACE, security headers, no CORS for origins
// not allowed (none are, here), and errors without internals.
TEST_F(GatewayOwaspTest, API8_SecurityMisconfiguration) {
  HttpReply reply =
      Call("GET", "/v1/courses", {{"origin", "https://evil.example.net"}});
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.Header("server"), "");
  EXPECT_EQ(reply.Header("access-control-allow-origin"), "");
  EXPECT_FALSE(reply.Header("content-security-policy").empty());
  EXPECT_EQ(reply.Header("x-content-type-options"), "nosniff");
  HttpReply trace = Call("TRACE", "/v1/courses");
  EXPECT_EQ(trace.status, 405);
  EXPECT_THAT(trace.body, Not(HasSubstr("TRACE /v1/courses")));
  HttpReply preflight = Call("OPTIONS", "/v1/bookings",
                             {{"origin", "https://evil.example.net"},
                              {"access-control-request-method", "POST"}});
  EXPECT_EQ(preflight.status, 403);
}

// API10: what a backend says when it fails is not passed on: a "backend"
// that is not gRPC at all (an HTTP/1 server) and one that is down both
// give an answer naming the service and nothing of gRPC's own text.
TEST_F(GatewayOwaspTest, API10_UnsafeConsumptionOfBackendErrors) {
  Process gateway = StartGateway(catalogue_.port, booking_.port,
                                 /*notification_port=*/gateway_.metrics_port,
                                 /*content_port=*/0);
  for (const char* target : {"/v1/templates", "/v1/articles"}) {
    HttpReply reply =
        HttpCall(gateway.port, "GET", target, {Bearer(kAdminKey)});
    EXPECT_THAT(reply.status, AnyOf(500, 503)) << target << reply.body;
    for (const char* leak : {"127.0.0.1", "ipv4:", "http1", "Connect", "socket",
                             "DNS", "error:"}) {
      EXPECT_THAT(reply.body, Not(HasSubstr(leak))) << target << reply.body;
    }
    EXPECT_THAT(reply.body, AnyOf(HasSubstr("notification service"),
                                  HasSubstr("content service")));
  }
}

}  // namespace
}  // namespace training::testing
