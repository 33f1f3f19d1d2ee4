// The gateway end to end, as an agency portal uses it: the real gateway in
// front of the real catalogue and booking processes, spoken to over HTTP
// alone. Set up a course, browse and page its sessions, read availability,
// book with an Idempotency-Key, cancel with the manage token, see the
// waiting list's head promoted, download the reach report, update a course
// with If-Match, revalidate with If-None-Match; then a backend killed and
// back, and a drain on SIGTERM.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/gateway_process_fixture.h"

namespace training::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(GatewayFlowTest, BrowseBookManageAndReportOverHttpAlone) {
  const std::vector<std::string> sessions = CreateProgramme();
  ASSERT_EQ(sessions.size(), 2u);

  // Browse: one session a page, filtered to online ones, then the next.
  HttpReply page = Call(
      "GET", "/v1/courses/intro-mi/sessions?pageSize=1&deliveryMode=ONLINE");
  ASSERT_EQ(page.status, 200) << page.body;
  auto first_page = Parse<catalogue::ListSessionsResponse>(page);
  ASSERT_EQ(first_page.sessions_size(), 1);
  ASSERT_FALSE(first_page.next_page_token().empty());
  EXPECT_THAT(page.Header("cache-control"), HasSubstr("public"));
  HttpReply next =
      Call("GET",
           "/v1/courses/intro-mi/sessions?pageSize=1&deliveryMode=ONLINE"
           "&pageToken=" +
               UrlEncode(first_page.next_page_token()));
  ASSERT_EQ(next.status, 200) << next.body;
  auto second_page = Parse<catalogue::ListSessionsResponse>(next);
  ASSERT_EQ(second_page.sessions_size(), 1);
  EXPECT_NE(second_page.sessions(0).name(), first_page.sessions(0).name());
  EXPECT_EQ(
      Parse<catalogue::ListSessionsResponse>(
          Call("GET", "/v1/courses/intro-mi/sessions?deliveryMode=IN_PERSON"))
          .sessions_size(),
      0);

  // Availability of both, one call.
  const std::string session = sessions[0];
  HttpReply availability =
      Call("GET", "/v1/availability:batchGet?sessions=" + UrlEncode(session) +
                      "&sessions=" + UrlEncode(sessions[1]));
  ASSERT_EQ(availability.status, 200) << availability.body;
  auto places = Parse<booking::BatchGetAvailabilityResponse>(availability);
  ASSERT_EQ(places.availabilities_size(), 2);
  EXPECT_EQ(places.availabilities(0).remaining(), 1);

  // Book with an Idempotency-Key: a replay answers the same booking; the
  // same key with another body is 422 and books nothing.
  HttpReply booked =
      Call("POST", "/v1/bookings", {{"idempotency-key", Uuid(1)}},
           BookingJson(session, 1));
  ASSERT_EQ(booked.status, 200) << booked.body;
  const auto first = Parse<booking::Booking>(booked);
  EXPECT_EQ(first.state(), booking::Booking::CONFIRMED);
  ASSERT_FALSE(first.manage_token().empty());
  EXPECT_EQ(booked.Header("cache-control"), "no-store");
  HttpReply replay =
      Call("POST", "/v1/bookings", {{"idempotency-key", Uuid(1)}},
           BookingJson(session, 1));
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(Parse<booking::Booking>(replay).name(), first.name());
  HttpReply changed =
      Call("POST", "/v1/bookings", {{"idempotency-key", Uuid(1)}},
           BookingJson(session, 2));
  EXPECT_EQ(changed.status, 422) << changed.body;
  EXPECT_THAT(changed.body, HasSubstr("REQUEST_ID_REUSED"));
  // Without credentials nothing scopes a key, so it must be a UUID.
  HttpReply guessable =
      Call("POST", "/v1/bookings", {{"idempotency-key", "booking-1"}},
           BookingJson(session, 3));
  EXPECT_EQ(guessable.status, 400) << guessable.body;
  EXPECT_THAT(guessable.body, HasSubstr(R"("field":"Idempotency-Key")"));

  // The next person waits.
  HttpReply waiting =
      Call("POST", "/v1/bookings", {{"idempotency-key", Uuid(2)}},
           BookingJson(session, 2));
  ASSERT_EQ(waiting.status, 200) << waiting.body;
  const auto second = Parse<booking::Booking>(waiting);
  EXPECT_EQ(second.state(), booking::Booking::WAITLISTED);

  // Cancel with the manage token, a key and If-Match; the replay answers
  // again though its If-Match is stale by then (only a replay can).
  const std::string cancel_path = "/v1/" + first.name() + ":cancel";
  const HttpHeaders cancel_headers = {Bearer(first.manage_token()),
                                      {"idempotency-key", "c-1"},
                                      {"if-match", "\"" + first.etag() + "\""}};
  HttpReply cancelled = Call("POST", cancel_path, cancel_headers,
                             R"({"reason":"cannot attend"})");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(Parse<booking::Booking>(cancelled).state(),
            booking::Booking::CANCELLED);
  EXPECT_NE(Parse<booking::Booking>(cancelled).etag(), first.etag());
  HttpReply cancelled_again = Call("POST", cancel_path, cancel_headers,
                                   R"({"reason":"cannot attend"})");
  EXPECT_EQ(cancelled_again.status, 200) << cancelled_again.body;
  HttpReply stale = Call(
      "POST", cancel_path,
      {Bearer(first.manage_token()), {"if-match", "\"" + first.etag() + "\""}},
      R"({"reason":"cannot attend"})");
  EXPECT_EQ(stale.status, 412) << "without the key it is no replay";
  HttpReply other_reason = Call("POST", cancel_path,
                                {Bearer(first.manage_token()),
                                 {"idempotency-key", "c-1"},
                                 {"if-match", "\"" + first.etag() + "\""}},
                                R"({"reason":"changed my mind"})");
  EXPECT_EQ(other_reason.status, 422) << other_reason.body;

  // The head of the list has the place now.
  HttpReply promoted =
      Call("GET", "/v1/" + second.name(), {Bearer(second.manage_token())});
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_EQ(Parse<booking::Booking>(promoted).state(),
            booking::Booking::CONFIRMED);

  // The reach report as CSV, for an agency key holding reports.read.
  const absl::Time now = absl::Now();
  HttpReply csv = Call(
      "POST", "/v1/reports/reach:export", {Bearer(kAgencyAKey)},
      absl::StrCat(R"({"startTime":")", absl::FormatTime(now - absl::Hours(1)),
                   R"(","endTime":")",
                   absl::FormatTime(now + absl::Hours(24 * 60)), R"("})"));
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.Header("content-type"), "text/csv; charset=utf-8");
  EXPECT_FALSE(absl::StartsWith(csv.body, "{"));
  EXPECT_THAT(csv.body, HasSubstr("\r\n"));

  // Metrics by route template, never by raw path; and the access log
  // holds no personal data, token or query.
  const std::string metrics =
      HttpGet(gateway_.metrics_port, "/metrics").value_or("");
  EXPECT_THAT(metrics, HasSubstr(R"(http_requests_total{code="2xx",)"
                                 R"(method="POST",route="/v1/bookings"})"));
  EXPECT_THAT(metrics, HasSubstr(R"(route="/v1/{name=bookings/*}:cancel")"));
  EXPECT_EQ(metrics.find(first.reference()), std::string::npos);
  const std::string log = gateway_.child->Log();
  EXPECT_THAT(log, HasSubstr(R"("msg":"http.request")"));
  EXPECT_THAT(log, HasSubstr(R"("route":"/v1/{name=bookings/*}:cancel")"));
  for (const std::string& secret :
       {std::string("person1@nhs.example"), std::string("Person 1"),
        first.manage_token(), first.reference(), std::string("pageToken"),
        kAgencyAKey}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " logged";
  }
}

TEST_F(GatewayFlowTest, CachingHeadersAndConditionalUpdates) {
  CreateProgramme();
  HttpReply course = Call("GET", "/v1/courses/intro-mi");
  ASSERT_EQ(course.status, 200) << course.body;
  const std::string etag = course.Header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag, "\"" + Parse<catalogue::Course>(course).etag() + "\"");
  EXPECT_THAT(course.Header("cache-control"), HasSubstr("max-age="));
  EXPECT_EQ(course.Header("vary"), "Authorization, Accept-Encoding");

  HttpReply head = Call("HEAD", "/v1/courses/intro-mi");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.Header("content-length"), std::to_string(course.body.size()));
  EXPECT_EQ(head.Header("etag"), etag);
  HttpReply unchanged =
      Call("GET", "/v1/courses/intro-mi", {{"if-none-match", etag}});
  EXPECT_EQ(unchanged.status, 304);
  EXPECT_EQ(unchanged.body, "");
  EXPECT_EQ(unchanged.Header("etag"), etag);

  const auto admin = Bearer(kAdminKey);
  HttpReply stale = Call("PATCH", "/v1/courses/intro-mi?updateMask=title",
                         {admin, {"if-match", "\"not-the-etag\""}},
                         R"({"title":"Motivational Interviewing: an intro"})");
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_THAT(stale.body, HasSubstr("ETAG_MISMATCH"));
  EXPECT_EQ(Call("PATCH", "/v1/courses/intro-mi?updateMask=title",
                 {admin, {"if-match", "W/" + etag}}, R"({"title":"x"})")
                .status,
            412)
      << "a weak tag never matches If-Match";
  EXPECT_EQ(
      Parse<catalogue::Course>(Call("GET", "/v1/courses/intro-mi")).title(),
      "Introduction to MI")
      << "a refused update changes nothing";

  HttpReply updated =
      Call("PATCH", "/v1/courses/intro-mi?updateMask=title",
           {admin, {"if-match", etag}},
           R"({"title":"Motivational Interviewing: an intro"})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(Parse<catalogue::Course>(updated).title(),
            "Motivational Interviewing: an intro");
  EXPECT_NE(updated.Header("etag"), etag);
  EXPECT_EQ(updated.Header("cache-control"), "no-store");
  EXPECT_EQ(
      Call("GET", "/v1/courses/intro-mi", {{"if-none-match", etag}}).status,
      200)
      << "the old etag no longer matches";
  // An authenticated read is never stored by shared caches.
  EXPECT_EQ(
      Call("GET", "/v1/courses/intro-mi", {admin}).Header("cache-control"),
      "no-store");
}

TEST_F(GatewayFlowTest, ErrorsComeInOneJsonShape) {
  HttpReply unknown_route = Call("GET", "/v1/nothing-here");
  EXPECT_EQ(unknown_route.status, 404);
  EXPECT_THAT(unknown_route.body, HasSubstr(R"("status":"NOT_FOUND")"));
  HttpReply wrong_method = Call("DELETE", "/v1/courses");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_THAT(wrong_method.body, HasSubstr(R"("code":405)"));
  EXPECT_THAT(wrong_method.Header("allow"), HasSubstr("GET"));
  EXPECT_THAT(wrong_method.Header("allow"), HasSubstr("POST"));

  HttpReply bad_param = Call("GET", "/v1/courses?pageSise=3");
  EXPECT_EQ(bad_param.status, 400);
  EXPECT_THAT(bad_param.body, HasSubstr(R"("field":"pageSise")"));
  HttpReply bad_field =
      Call("POST", "/v1/courses", {Bearer(kAdminKey)}, R"({"titel":"x"})");
  EXPECT_EQ(bad_field.status, 400);
  EXPECT_THAT(bad_field.body, HasSubstr(R"("field":"course.titel")"));
  EXPECT_THAT(
      bad_field.body,
      HasSubstr(R"("@type":"type.googleapis.com/google.rpc.BadRequest")"));

  HttpReply no_key = Call("POST", "/v1/courses?courseId=x", {}, "{}");
  EXPECT_EQ(no_key.status, 401);
  EXPECT_EQ(no_key.Header("www-authenticate"), "Bearer");
  EXPECT_THAT(no_key.body, HasSubstr("CREDENTIALS_MISSING"));
  HttpReply agency =
      Call("POST", "/v1/courses?courseId=x", {Bearer(kAgencyAKey)}, "{}");
  EXPECT_EQ(agency.status, 403);

  // The request id is echoed when given, minted when not.
  HttpReply given = Call("GET", "/v1/courses", {{"x-request-id", "portal-42"}});
  EXPECT_EQ(given.Header("x-request-id"), "portal-42");
  EXPECT_FALSE(Call("GET", "/v1/courses").Header("x-request-id").empty());
  // A client may shorten the deadline, not break it.
  EXPECT_EQ(Call("GET", "/v1/courses", {{"x-request-timeout", "soon"}}).status,
            400);
  EXPECT_EQ(Call("GET", "/v1/courses", {{"x-request-timeout", "2.5"}}).status,
            200);
}

// Booking killed mid-run: its routes answer 503 with Retry-After at once
// (the catalogue's still work); once it is back, they work again.
TEST_F(GatewayFlowTest, ABackendKilledIsA503WithRetryAfterUntilItReturns) {
  const std::vector<std::string> sessions = CreateProgramme();
  const std::string availability =
      "/v1/availability:batchGet?sessions=" + UrlEncode(sessions[0]);
  ASSERT_EQ(Call("GET", availability).status, 200);
  const int port = booking_.port;
  booking_.child->Signal(SIGKILL);
  booking_.child->Wait(kWatchdog);

  HttpReply down = Call("GET", availability);
  EXPECT_TRUE(down.status == 503 || down.status == 504) << down.body;
  EXPECT_FALSE(down.Header("retry-after").empty());
  EXPECT_THAT(down.body, HasSubstr("booking service"));
  EXPECT_EQ(down.body.find("127.0.0.1"), std::string::npos)
      << "no internal address leaks";
  EXPECT_EQ(Call("GET", "/v1/courses/intro-mi").status, 200)
      << "the catalogue's routes are unaffected";

  booking_ = StartBooking("booking", "", {}, {absl::StrCat("--port=", port)});
  ASSERT_EQ(booking_.port, port);
  int status = 0;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    status = Call("GET", availability).status;
    if (status == 200) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(status, 200) << "recovered once booking is back";
}

// The request id and the W3C trace reach the service: its log line for the
// call carries both.
TEST_F(GatewayFlowTest, RequestIdAndTraceReachTheService) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  HttpReply reply =
      Call("GET", "/v1/courses",
           {{"x-request-id", "portal-request-7"},
            {"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.Header("x-request-id"), "portal-request-7");
  bool seen = false;
  for (absl::Time end = absl::Now() + kWatchdog; !seen && absl::Now() < end;
       absl::SleepFor(absl::Milliseconds(50))) {
    for (absl::string_view line :
         absl::StrSplit(catalogue_.child->Log(), '\n')) {
      seen = seen || (absl::StrContains(line, "portal-request-7") &&
                      absl::StrContains(line, trace));
    }
  }
  EXPECT_TRUE(seen) << catalogue_.child->Log();
}

// Several replicas behind one backend address share the calls (a static
// address list here; a headless Service's dns:/// name in Kubernetes).
TEST_F(GatewayFlowTest, CallsSpreadOverEveryReplicaOfABackend) {
  const std::vector<std::string> sessions = CreateProgramme();
  Process second = StartBooking("booking-2", "");
  ASSERT_NE(second.port, 0);
  Process gateway = StartGateway(
      catalogue_.port, 0, 0, 0,
      {absl::StrCat("--booking_address=ipv4:127.0.0.1:", booking_.port,
                    ",127.0.0.1:", second.port)});
  const std::string availability =
      "/v1/availability:batchGet?sessions=" + UrlEncode(sessions[0]);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(HttpCall(gateway.port, "GET", availability).status, 200);
  }
  auto handled = [](const Process& p) {
    int calls = 0;
    for (absl::string_view line : absl::StrSplit(
             HttpGet(p.metrics_port, "/metrics").value_or(""), '\n')) {
      if (absl::StartsWith(line, "grpc_server_handled_total") &&
          absl::StrContains(line, "BatchGetAvailability")) {
        double value = 0;
        if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) {
          calls += static_cast<int>(value);
        }
      }
    }
    return calls;
  };
  const int first = handled(booking_), other = handled(second);
  EXPECT_EQ(first + other, 20);
  EXPECT_GE(first, 5) << "round robin: each replica takes its share";
  EXPECT_GE(other, 5);
}

// A TCP port that accepts connections and never says a word: a backend
// that hangs.
class SilentBackend {
 public:
  SilentBackend() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), size) == 0 &&
        listen(fd_, 64) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~SilentBackend() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(GatewayFlowTest, ASilentBackendIsA504WithinTheCallersDeadline) {
  SilentBackend content;
  ASSERT_NE(content.port(), 0);
  Process gateway =
      StartGateway(catalogue_.port, booking_.port, 0, content.port());
  HttpReply slow = HttpCall(gateway.port, "GET", "/v1/articles",
                            {{"x-request-timeout", "1"}});
  EXPECT_EQ(slow.status, 504) << slow.body;
  EXPECT_EQ(slow.Header("retry-after"), "1");
  EXPECT_THAT(slow.body, HasSubstr("content service did not answer in time"));
}

// A call still out when the drain's time is up is cancelled: the process
// lets it go cleanly and exits 0.
TEST_F(GatewayFlowTest, SigtermCancelsCallsTheDrainCouldNotWaitFor) {
  SilentBackend content;
  Process gateway =
      StartGateway(catalogue_.port, booking_.port, 0, content.port(),
                   {"--read_deadline=60s", "--drain_timeout=0.5s"});
  std::thread waiting([&] {
    HttpCall(gateway.port, "GET", "/v1/articles");  // cut off: no answer
  });
  absl::SleepFor(absl::Milliseconds(300));  // let it reach the backend
  gateway.child->Signal(SIGTERM);
  std::optional<int> code = gateway.child->Wait(kWatchdog);
  waiting.join();
  ASSERT_TRUE(code.has_value()) << gateway.child->Log();
  EXPECT_EQ(*code, 0) << gateway.child->Log();
  EXPECT_THAT(gateway.child->Log(), HasSubstr(R"("drained":false)"));
  EXPECT_THAT(gateway.child->Log(), HasSubstr(R"("calls_done":true)"));
}

// SIGTERM: /readyz says 503 through the grace while requests are still
// served; a request in flight gets its answer; the process exits 0.
TEST_F(GatewayFlowTest, SigtermDrainsInFlightRequestsAndExitsZero) {
  SilentBackend content;
  Process gateway =
      StartGateway(catalogue_.port, booking_.port, 0, content.port(),
                   {"--shutdown_grace=1s", "--read_deadline=3s"});
  ASSERT_EQ(HttpCall(gateway.port, "GET", "/readyz").status, 200);
  HttpReply in_flight;
  std::thread waiting(
      [&] { in_flight = HttpCall(gateway.port, "GET", "/v1/articles"); });
  absl::SleepFor(absl::Milliseconds(300));  // let it reach the backend
  gateway.child->Signal(SIGTERM);
  HttpReply readyz;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    readyz = HttpCall(gateway.port, "GET", "/readyz");
    if (readyz.status == 503) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(readyz.status, 503);
  EXPECT_THAT(readyz.body, HasSubstr("shutting_down"));
  EXPECT_EQ(HttpCall(gateway.port, "GET", "/v1/courses").status, 200)
      << "still served during the grace";
  waiting.join();
  EXPECT_EQ(in_flight.status, 504) << "answered, not cut off";
  std::optional<int> code = gateway.child->Wait(kWatchdog);
  ASSERT_TRUE(code.has_value()) << gateway.child->Log();
  EXPECT_EQ(*code, 0) << gateway.child->Log();
  EXPECT_THAT(gateway.child->Log(), HasSubstr("shutdown.complete"));
}

}  // namespace
}  // namespace training::testing
