#ifndef TRAINING_TESTS_GATEWAY_PROCESS_FIXTURE_H_
#define TRAINING_TESTS_GATEWAY_PROCESS_FIXTURE_H_

// The fixture of the gateway's end-to-end tests: the real catalogue and
// booking processes (BookingProcessTest), a real gateway in front of them,
// agency keys for two organisations, and an HTTP client.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "tests/booking_process_fixture.h"
#include "tests/http_client.h"

namespace training::testing {

// Organisation A's key holds bookings.read and reports.read; B's only
// bookings.read.
inline const std::string kAgencyAKey = "trk_agency_a_gateway_process_test_0001";
inline const std::string kAgencyBKey = "trk_agency_b_gateway_process_test_0001";

inline const std::string kNotificationServiceKey =
    "trk_service_gateway_process_test_notif1";

class GatewayProcessTest : public BookingProcessTest {
 protected:
  std::vector<std::string> ExtraKeys() override {
    return {KeyEntry("agency-a", kAgencyAKey, "AGENCY",
                     {"bookings.read", "reports.read", "webhooks.manage"},
                     "Northshire NHS Trust"),
            KeyEntry("agency-b", kAgencyBKey, "AGENCY", {"bookings.read"},
                     "Southvale Council"),
            ServiceKeyEntry("notification", kNotificationServiceKey,
                            "notification")};
  }

  // The notification service, asking `booking` and the catalogue (its
  // mail goes nowhere: port 1).
  Process StartNotification(const Process& booking) {
    return StartProcess(
        NOTIFICATION_BINARY, "notification",
        {absl::StrCat("--booking_address=127.0.0.1:", booking.port),
         absl::StrCat("--catalogue_address=127.0.0.1:", catalogue_.port),
         "--smtp_port=1"},
        {{"TRAINING_SERVICE_KEY", kNotificationServiceKey}});
  }

  // The gateway in front of the given backends (ports; 0 leaves one out).
  Process StartGateway(int catalogue_port, int booking_port,
                       int notification_port = 0, int content_port = 0,
                       std::vector<std::string> extra = {}) {
    Process p;
    p.dir = MakeTempDir("gateway");
    auto address = [](int port) {
      // Nothing listens on port 1: a backend left out is simply down.
      return absl::StrCat("127.0.0.1:", port == 0 ? 1 : port);
    };
    std::vector<std::string> args = {
        "--http_port=0", "--metrics_port=0", "--port_file=" + p.dir + "/port",
        "--metrics_port_file=" + p.dir + "/metrics_port",
        "--catalogue_address=" + address(catalogue_port),
        "--booking_address=" + address(booking_port),
        "--notification_address=" + address(notification_port),
        "--content_address=" + address(content_port), "--shutdown_grace=0s",
        // Tests not about rate limits make many calls from one address;
        // those about them pass their own limits in `extra` (the last
        // value of a flag wins).
        "--rate_limit_per_key=10000/s:10000",
        "--rate_limit_per_address=10000/s:10000",
        "--rate_limit_anonymous_writes=10000/s:10000",
        "--rate_limit_enquiries=10000/s:10000"};
    args.insert(args.end(), extra.begin(), extra.end());
    p.child = std::make_unique<ChildProcess>(
        GATEWAY_BINARY, args, std::map<std::string, std::string>{},
        p.dir + "/log");
    p.port = WaitForPortFile(p.dir + "/port", kWatchdog).value_or(0);
    EXPECT_NE(p.port, 0) << p.child->Log();
    p.metrics_port =
        WaitForPortFile(p.dir + "/metrics_port", kWatchdog).value_or(0);
    return p;
  }

  HttpReply Call(const std::string& method, const std::string& target,
                 const HttpHeaders& headers = {},
                 const std::string& body = "") {
    return HttpCall(gateway_.port, method, target, headers, body);
  }

  static std::pair<std::string, std::string> Bearer(const std::string& key) {
    return {"authorization", "Bearer " + key};
  }

  // The body as `T` by protobuf's JSON mapping; unknown fields fail.
  template <typename T>
  static T Parse(const HttpReply& reply) {
    T message;
    auto status =
        google::protobuf::util::JsonStringToMessage(reply.body, &message);
    EXPECT_TRUE(status.ok()) << status.ToString() << ": " << reply.body;
    return message;
  }

  // A booking's JSON body for `session`, the attendee numbered `n`.
  static std::string BookingJson(
      const std::string& session, int n,
      const std::string& organisation = "Northshire NHS Trust") {
    return absl::StrCat(
        R"({"session":")", session, R"(","attendee":{"displayName":"Person )",
        n, R"(","email":"person)", n, R"(@nhs.example","organisation":")",
        organisation, R"(","agencyType":"HEALTH","jobRole":"Health visitor",)",
        R"("consentGiven":true}})");
  }

  Process gateway_;
};

// The gateway in front of catalogue and one booking replica, with a way to
// set up a programme over HTTP.
class GatewayFlowTest : public GatewayProcessTest {
 protected:
  void SetUp() override {
    GatewayProcessTest::SetUp();
    booking_ = StartBooking("booking", "");
    ASSERT_NE(booking_.port, 0);
    gateway_ =
        StartGateway(catalogue_.port, booking_.port, 0, 0, GatewayFlags());
    ASSERT_NE(gateway_.port, 0);
  }

  // Flags of the fixture's gateway beyond StartGateway's own.
  virtual std::vector<std::string> GatewayFlags() { return {}; }

  // A published course and two sessions of one place each, made over HTTP.
  std::vector<std::string> CreateProgramme() {
    const auto admin = Bearer(kAdminKey);
    HttpReply course =
        Call("POST", "/v1/courses?courseId=intro-mi", {admin},
             R"({"title":"Introduction to MI","duration":"10800s",)"
             R"("level":"INTRODUCTORY","eligibleAgencyTypes":["HEALTH"]})");
    EXPECT_EQ(course.status, 200) << course.body;
    HttpReply published =
        Call("POST", "/v1/courses/intro-mi:publish", {admin}, "{}");
    EXPECT_EQ(published.status, 200) << published.body;
    std::vector<std::string> sessions;
    for (int day : {20, 21}) {
      const absl::Time start = absl::Now() + absl::Hours(24 * day);
      HttpReply session =
          Call("POST", "/v1/courses/intro-mi/sessions", {admin},
               absl::StrCat(R"({"startTime":")", absl::FormatTime(start),
                            R"(","endTime":")",
                            absl::FormatTime(start + absl::Hours(3)),
                            R"(","deliveryMode":"ONLINE","capacity":1})"));
      EXPECT_EQ(session.status, 200) << session.body;
      sessions.push_back(Parse<catalogue::Session>(session).name());
    }
    return sessions;
  }

  Process booking_;
};

}  // namespace training::testing

#endif  // TRAINING_TESTS_GATEWAY_PROCESS_FIXTURE_H_
