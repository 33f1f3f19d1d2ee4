// Who may call what through the gateway, generated from the descriptors:
// every route of the route table (so a new route cannot be forgotten) is
// called by six principals — anonymous, an agency key of organisation A,
// one of organisation B, an admin key, a booking's manage token and another
// booking's — against all four real services, and must answer as its
// declared access rule says (B's key lacks reports.read and
// webhooks.manage): 401 or 403 when
// refused, anything else (2xx, or 4xx/5xx decided by the service) when let
// through. Organisation B never sees organisation A's booking through any
// route.

#include <iostream>

#include "absl/strings/match.h"
#include "gateway/transcode/route_table.h"
#include "gateway/transcode/suite_services.h"
#include "tests/gateway_process_fixture.h"

namespace training::testing {
namespace {

using training::gateway::transcode::PathTemplate;
using training::gateway::transcode::Route;
using training::gateway::transcode::RouteTable;

enum class Who {
  kAnonymous,
  kAgencyA,
  kAgencyB,
  kAdmin,
  kOwnToken,
  kOtherToken
};

const char* Name(Who who) {
  switch (who) {
    case Who::kAnonymous:
      return "anonymous";
    case Who::kAgencyA:
      return "agency key of organisation A";
    case Who::kAgencyB:
      return "agency key of organisation B";
    case Who::kAdmin:
      return "admin key";
    case Who::kOwnToken:
      return "the booking's manage token";
    case Who::kOtherToken:
      return "another booking's manage token";
  }
  return "?";
}

// What the rule says of a principal: refused with this status, or let
// through (0) for the service to decide; -404 for "looks unknown".
int Expected(const training::api::v1::AccessRule& rule, Who who) {
  const bool token = who == Who::kOwnToken || who == Who::kOtherToken;
  const bool agency = who == Who::kAgencyA || who == Who::kAgencyB;
  // As the fixture's key file says: B lacks reports.read and
  // webhooks.manage.
  const bool has_scope =
      who == Who::kAgencyA || rule.scope() == "bookings.read";
  if (who == Who::kAdmin) return 0;
  switch (rule.audience()) {
    case training::api::v1::PUBLIC:
      // A bearer that is no key is for bookings, or for the handler to
      // check where the rule says so.
      return token && !rule.accept_unknown_bearer() ? 401 : 0;
    case training::api::v1::AGENCY:
      if (who == Who::kAnonymous || token) return 401;
      return has_scope ? 0 : 403;
    case training::api::v1::ADMIN:
      return agency ? 403 : 401;
    case training::api::v1::MANAGE_TOKEN:
      if (who == Who::kAnonymous) return 401;
      if (agency) return 403;
      return who == Who::kOwnToken ? 0 : -404;
    default:
      return 403;  // undeclared: fail closed
  }
}

class GatewayAccessMatrixTest : public GatewayProcessTest {
 protected:
  void SetUp() override {
    GatewayProcessTest::SetUp();
    booking_ = StartBooking("booking", "");
    notification_ = StartNotification(booking_);
    content_ = StartProcess(CONTENT_BINARY, "content", {}, {});
    gateway_ = StartGateway(catalogue_.port, booking_.port, notification_.port,
                            content_.port);
    ASSERT_NE(gateway_.port, 0);
  }

  // The route's template with each wildcard filled by a real or made-up
  // name, chosen by the collection before it.
  std::string PathFor(const Route& route) const {
    std::string path;
    std::string previous;
    for (const PathTemplate::Segment& segment : route.path.segments) {
      std::string value = segment.literal;
      if (segment.kind != PathTemplate::Segment::Kind::kLiteral) {
        auto it = ids_.find(previous);
        value = it == ids_.end() ? "unknown-1" : it->second;
      }
      absl::StrAppend(&path, "/", value);
      previous = segment.literal;
    }
    if (!route.path.verb.empty()) absl::StrAppend(&path, ":", route.path.verb);
    return path;
  }

  HttpHeaders HeadersFor(Who who) const {
    switch (who) {
      case Who::kAnonymous:
        return {};
      case Who::kAgencyA:
        return {Bearer(kAgencyAKey)};
      case Who::kAgencyB:
        return {Bearer(kAgencyBKey)};
      case Who::kAdmin:
        return {Bearer(kAdminKey)};
      case Who::kOwnToken:
        return {Bearer(own_token_)};
      case Who::kOtherToken:
        return {Bearer(other_token_)};
    }
    return {};
  }

  Process booking_, notification_, content_;
  std::map<std::string, std::string> ids_;
  std::string own_token_, other_token_;
};

TEST_F(GatewayAccessMatrixTest, EveryRouteForEveryPrincipalAsDeclared) {
  const std::string session = CreateSession(5);
  // Organisation A's booking, made with A's key; another made anonymously.
  HttpReply by_a = Call("POST", "/v1/bookings",
                        {Bearer(kAgencyAKey), {"idempotency-key", "a-1"}},
                        BookingJson(session, 1));
  ASSERT_EQ(by_a.status, 200) << by_a.body;
  const auto a = Parse<booking::Booking>(by_a);
  HttpReply by_other =
      Call("POST", "/v1/bookings", {{"idempotency-key", Uuid(2)}},
           BookingJson(session, 2));
  ASSERT_EQ(by_other.status, 200) << by_other.body;
  own_token_ = a.manage_token();
  other_token_ = Parse<booking::Booking>(by_other).manage_token();
  ids_ = {{"bookings", a.reference()},
          {"courses", "intro-mi"},
          {"sessions", session.substr(session.rfind('/') + 1)}};
  // A's own key sees A's booking, so that B not seeing it means something.
  HttpReply listed_for_a = Call("GET", "/v1/bookings", {Bearer(kAgencyAKey)});
  ASSERT_EQ(listed_for_a.status, 200) << listed_for_a.body;
  ASSERT_THAT(listed_for_a.body, ::testing::HasSubstr(a.reference()));

  auto table = RouteTable::Build(training::gateway::transcode::SuiteServices());
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_GT((*table)->routes().size(), 50u);
  int checked = 0, let_through = 0, succeeded = 0;
  for (const Route& route : (*table)->routes()) {
    const std::string path = PathFor(route);
    const std::string body = route.body == Route::Body::kNone ? "" : "{}";
    int own_token_status = 0;
    for (Who who : {Who::kAnonymous, Who::kAgencyA, Who::kAgencyB, Who::kAdmin,
                    Who::kOwnToken, Who::kOtherToken}) {
      HttpReply reply = Call(route.http_method, path, HeadersFor(who), body);
      const int expected = Expected(route.access, who);
      SCOPED_TRACE(absl::StrCat(route.Name(), " as ", Name(who), " → ",
                                reply.status, " ", reply.body));
      ASSERT_NE(reply.status, 0) << "no answer";
      if (who == Who::kOwnToken) own_token_status = reply.status;
      if (expected > 0) {
        EXPECT_EQ(reply.status, expected);
      } else if (expected == -404) {
        // Refused as unknown; or, when the request is invalid whoever sends
        // it (the booking's own token got 400 too), refused before the
        // booking was looked up.
        EXPECT_TRUE(reply.status == 404 ||
                    (reply.status == 400 && own_token_status == 400));
      } else {
        EXPECT_NE(reply.status, 401);
        EXPECT_NE(reply.status, 403);
        ++let_through;
        if (reply.status / 100 == 2) ++succeeded;
      }
      if (who == Who::kAgencyB || who == Who::kOtherToken) {
        EXPECT_FALSE(absl::StrContains(reply.body, a.reference()))
            << "A's booking was seen";
        EXPECT_FALSE(absl::StrContains(reply.body, "person1@nhs.example"));
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>((*table)->routes().size()) * 6);
  // The calls let through reached real handlers: many of them succeed.
  std::cout << let_through << " of " << checked << " calls let through, "
            << succeeded << " succeeded\n";
  EXPECT_GE(succeeded, let_through / 4);
}

}  // namespace
}  // namespace training::testing
