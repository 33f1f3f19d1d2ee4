#ifndef TRAINING_TESTS_WEBHOOK_PROCESS_FIXTURE_H_
#define TRAINING_TESTS_WEBHOOK_PROCESS_FIXTURE_H_

// The fixture of the webhook process tests: the notification fixture's
// processes (Redis, catalogue, booking, the SMTP sink, notification) with
// two agency keys, and receivers written for the test
// (tests/webhook_receiver.py), which check each delivery's signature with
// Python's hmac, independently of the service. Receivers listen on
// 127.0.0.2, the one address the service is told to allow; 127.0.0.1 and
// every other non-public address stay refused.

#include <signal.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/notification_process_fixture.h"
#include "training/notification/v1/webhook_service.grpc.pb.h"

namespace training::testing {

inline const std::string kAgencyAKey = "trk_agency_a_webhook_process_test_0001";
inline const std::string kAgencyBKey = "trk_agency_b_webhook_process_test_0001";
inline const std::string kOrganisationA = "Northshire Family Services";
inline const std::string kOrganisationB = "Southvale Police";

// One request a receiver logged.
struct Received {
  std::string path;
  std::string id;  // webhook-id
  bool timestamp_ok = false;
  std::vector<int> verified_by;
  int signatures = 0;
  int status = 0;
  double time = 0;  // the receiver's time.time() when it came
  nlohmann::json body;
};

// A receiver process with its files.
struct Receiver {
  std::unique_ptr<ChildProcess> child;
  int port = 0;
  std::string host;
  std::string dir;
  std::string url(const std::string& path = "/hook") const {
    return absl::StrCat("http://", host, ":", port, path);
  }
  void SetSecrets(const std::vector<std::string>& secrets) const {
    std::ofstream(dir + "/secrets.tmp")
        << nlohmann::json{{"secrets", secrets}}.dump();
    std::filesystem::rename(dir + "/secrets.tmp", dir + "/secrets.json");
  }
  void SetRules(const nlohmann::json& rules) const {
    std::ofstream(dir + "/rules.tmp") << rules.dump();
    std::filesystem::rename(dir + "/rules.tmp", dir + "/rules.json");
  }
  std::vector<Received> Log() const {
    std::vector<Received> out;
    std::ifstream in(dir + "/received.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      nlohmann::json e = nlohmann::json::parse(line, nullptr, false);
      if (e.is_discarded()) continue;  // a line being written
      Received r;
      r.path = e.value("path", "");
      r.id = e.value("id", "");
      r.timestamp_ok = e.value("timestamp_ok", false);
      r.verified_by = e.value("verified_by", std::vector<int>{});
      r.signatures = e.value("signatures", 0);
      r.status = e.value("status", 0);
      r.time = e.value("time", 0.0);
      r.body = nlohmann::json::parse(e.value("body", ""), nullptr, false);
      out.push_back(std::move(r));
    }
    return out;
  }
};

class WebhookProcessTest : public NotificationProcessTest {
 protected:
  void TearDown() override {
    for (Receiver* r : receivers_) {
      if (r->child) r->child->Signal(SIGTERM);
    }
    NotificationProcessTest::TearDown();
  }

  std::vector<std::string> ExtraKeys() override {
    std::vector<std::string> keys = NotificationProcessTest::ExtraKeys();
    keys.push_back(KeyEntry("agency-a", kAgencyAKey, "AGENCY",
                            {"bookings.read", "webhooks.manage"},
                            kOrganisationA));
    keys.push_back(
        KeyEntry("agency-b", kAgencyBKey, "AGENCY", b_scopes_, kOrganisationB));
    return keys;
  }

  // Rewrites the key file with agency B holding `scopes`, as an operator
  // would, and has `p` re-read it (SIGHUP).
  void SetAgencyBScopes(const std::vector<std::string>& scopes,
                        const Process& p) {
    b_scopes_ = scopes;
    std::vector<std::string> keys = {
        KeyEntry("admin", kAdminKey, "ADMIN", {}),
        ServiceKeyEntry("booking", kBookingKey, "booking")};
    for (std::string& key : ExtraKeys()) keys.push_back(std::move(key));
    std::ofstream(dir_ + "/keys.json.tmp") << KeyFile(keys);
    std::filesystem::rename(dir_ + "/keys.json.tmp", dir_ + "/keys.json");
    p.child->Signal(SIGHUP);
  }

  // The notification flags every webhook test wants, and `more`.
  static std::vector<std::string> WebhookFlags(
      std::vector<std::string> more = {}) {
    std::vector<std::string> flags = {
        "--webhook_allow_http=127.0.0.2,127.0.0.1,localhost,169.254.169.254,"
        "10.0.0.1",
        "--webhook_allow_addresses=127.0.0.2/32", "--webhook_timeout=5s",
        "--webhook_lease=8s"};
    flags.insert(flags.end(), more.begin(), more.end());
    return flags;
  }

  // A receiver on `host` (127.0.0.2, or 127.0.0.1 for a canary that must
  // never be reached), kept until the test ends.
  Receiver& StartReceiver(const std::string& name,
                          const std::string& host = "127.0.0.2") {
    auto r = std::make_unique<Receiver>();
    r->dir = absl::StrCat(dir_, "/", name);
    r->host = host;
    std::filesystem::create_directories(r->dir);
    r->SetSecrets({});
    r->SetRules(nlohmann::json::object());
    r->child = std::make_unique<ChildProcess>(
        "/usr/bin/python3",
        std::vector<std::string>{
            std::string(TESTS_DIR) + "/webhook_receiver.py", "--host=" + host,
            "--port=0", "--port_file=" + r->dir + "/port",
            "--log=" + r->dir + "/received.jsonl",
            "--secrets=" + r->dir + "/secrets.json",
            "--rules=" + r->dir + "/rules.json"},
        std::map<std::string, std::string>{}, r->dir + "/log");
    r->port = WaitForPortFile(r->dir + "/port", kWatchdog).value_or(0);
    EXPECT_NE(r->port, 0) << r->child->Log();
    receivers_.push_back(r.get());
    owned_.push_back(std::move(r));
    return *receivers_.back();
  }

  std::unique_ptr<notification::WebhookService::Stub> WebhookStub(
      const Process& p) {
    return notification::WebhookService::NewStub(Channel(p));
  }

  // Creates a subscription as `key`; the answer holds its secret.
  notification::Webhook Subscribe(notification::WebhookService::Stub& stub,
                                  const std::string& key,
                                  const std::string& target,
                                  const std::vector<std::string>& types = {}) {
    notification::CreateWebhookRequest request;
    request.mutable_webhook()->set_target_uri(target);
    for (const std::string& t : types) {
      request.mutable_webhook()->add_event_types(t);
    }
    notification::Webhook created;
    grpc::Status status =
        stub.CreateWebhook(Context(key).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  // Waits (watchdog) until `done` holds for the receiver's log.
  std::vector<Received> WaitForLog(
      const Receiver& r,
      const std::function<bool(const std::vector<Received>&)>& done) {
    const absl::Time deadline = absl::Now() + kWatchdog;
    std::vector<Received> log = r.Log();
    while (!done(log) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(100));
      log = r.Log();
    }
    EXPECT_TRUE(done(log)) << "receiver " << r.dir << " saw " << log.size()
                           << " requests\n"
                           << notification_.child->Log();
    return log;
  }

  // Books `n` (BookingRequest's person n) on `session` with `key`.
  booking::Booking BookAs(const std::string& key, const std::string& session,
                          int n, const std::string& typed_organisation = "") {
    booking::CreateBookingRequest r = BookingRequest(session, n);
    if (!typed_organisation.empty()) {
      r.mutable_booking()->mutable_attendee()->set_organisation(
          typed_organisation);
    }
    booking::Booking reply;
    grpc::Status status =
        booking_stub_->CreateBooking(Context(key).get(), r, &reply);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply;
  }

 private:
  std::vector<std::string> b_scopes_ = {"bookings.read", "webhooks.manage"};
  std::vector<std::unique_ptr<Receiver>> owned_;
  std::vector<Receiver*> receivers_;
};

}  // namespace training::testing

#endif  // TRAINING_TESTS_WEBHOOK_PROCESS_FIXTURE_H_
