#ifndef TRAINING_TESTS_NOTIFICATION_PROCESS_FIXTURE_H_
#define TRAINING_TESTS_NOTIFICATION_PROCESS_FIXTURE_H_

// The fixture of the notification process tests: the booking fixture's
// Redis, catalogue and booking, a real SMTP server (tests/smtp_sink.py on
// Debian's aiosmtpd) storing every message it accepts, and the
// notification service on the engine the test is instantiated with. Mail
// is read back as the sink stored it and split by tests/mail_parts.py;
// calendar parts are parsed by two independent parsers (Python's
// icalendar, npm's ical.js).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/sql/testing/engines.h"
#include "nlohmann/json.hpp"
#include "tests/booking_process_fixture.h"
#include "tests/smtp_sink_process.h"
#include "training/notification/v1/notification_service.grpc.pb.h"

namespace training::testing {

namespace notification = training::notification::v1;

inline const std::string kNotificationKey =
    "trk_service_notification_process_test_01";
// The keyring webhook secrets are sealed under (replicas share it).
inline const std::string kWebhookSecretKeys =
    "w1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";

// The address BookingRequest(session, n) books with.
inline std::string Address(int n) {
  return absl::StrCat("person", n, "@nhs.example");
}

// One message as the sink stored it.
struct Mail {
  std::string file;
  std::vector<std::string> rcpt_tos;
  std::string message_id;
  std::string subject;
  std::string text;
  std::string calendar_method;
  std::string reply_to;
  // Each parser's one line for the calendar's VEVENT; empty: no calendar.
  std::string ics_python;
  std::string ics_js;
  nlohmann::json ics;  // ics_python parsed
};

// Runs a command, returning its standard output (standard error goes to
// the test's own).
inline std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    out.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_EQ(status, 0) << command << "\n" << out;
  return out;
}

class NotificationProcessTest
    : public BookingProcessTest,
      public ::testing::WithParamInterface<sql::Engine> {
 protected:
  void SetUp() override {
    BookingProcessTest::SetUp();
    if (HasFatalFailure()) return;
    mail_dir_ = dir_ + "/mail";
    rules_file_ = dir_ + "/smtp_rules.json";
    SetRelayRules("[]");
    SmtpSink sink =
        StartSmtpSink(TESTS_DIR, dir_, mail_dir_, rules_file_, kWatchdog);
    sink_ = std::move(sink.child);
    smtp_port_ = sink.port;
    ASSERT_NE(smtp_port_, 0) << sink_->Log();
    booking_ = StartBooking("booking", "");
    ASSERT_NE(booking_.port, 0);
    booking_stub_ = booking::BookingService::NewStub(Channel(booking_));
    auto url = GetParam() == sql::Engine::kSqlite
                   ? absl::StatusOr<std::string>("")
                   : sql::testing::NewTestDatabaseUrl(GetParam());
    ASSERT_TRUE(url.ok()) << url.status();
    notification_db_url_ = *url;
    notification_ = StartNotification();
    ASSERT_NE(notification_.port, 0);
  }

  void TearDown() override {
    if (sink_) sink_->Signal(SIGTERM);
  }

  std::vector<std::string> ExtraKeys() override {
    return {ServiceKeyEntry("notification", kNotificationKey, "notification")};
  }

  // The notification service; `crash_at` names a crash point to die at.
  // A second replica needs a `name` of its own (its directory).
  Process StartNotification(const std::string& crash_at = "",
                            const std::string& name = "notification",
                            const std::vector<std::string>& more = {},
                            bool wait_for_port = true) {
    std::map<std::string, std::string> env = {
        {"TRAINING_SERVICE_KEY", kNotificationKey}};
    if (!crash_at.empty()) env["TRAINING_CRASH_AT"] = crash_at;
    std::vector<std::string> extra = {
        absl::StrCat("--booking_address=127.0.0.1:", booking_.port),
        absl::StrCat("--catalogue_address=127.0.0.1:", catalogue_.port),
        absl::StrCat("--smtp_port=", smtp_port_),
        // Generous for a shared machine: a timeout after the sink took the
        // message would send it twice. The lease is what a crash test waits.
        "--smtp_timeout=10s", "--send_lease=12s", "--retry_base=200ms",
        "--retry_cap=1s", "--max_send_rate=0",
        "--mail_from=training@partnership.example",
        "--mail_domain=partnership.example",
        "--public_base_url=https://book.example.org",
        // The list booking is given, so that erasures find their records.
        "--address_hash_secrets=" + kAddressHashSecrets,
        "--webhook_secret_keys=" + kWebhookSecretKeys};
    if (!notification_db_url_.empty()) {
      extra.push_back("--database_url=" + notification_db_url_);
    }
    extra.insert(extra.end(), more.begin(), more.end());
    return StartProcess(NOTIFICATION_BINARY, name, extra, env, wait_for_port);
  }

  void SetRelayRules(const std::string& rules) {
    std::ofstream(rules_file_ + ".tmp") << R"({"rules":)" << rules << "}";
    std::filesystem::rename(rules_file_ + ".tmp", rules_file_);
  }

  // An online session of the published course starting at `start`; with
  // `offers`, the course offers freed places for a 48-hour hold.
  std::string CreateSessionAt(absl::Time start, int capacity,
                              bool offers = false) {
    CreateSession(1, offers);  // publishes the course (and a spare session)
    catalogue::CreateSessionRequest request;
    request.set_parent("courses/intro-mi");
    auto* s = request.mutable_session();
    s->mutable_start_time()->set_seconds(absl::ToUnixSeconds(start));
    s->mutable_end_time()->set_seconds(
        absl::ToUnixSeconds(start + absl::Hours(3)));
    s->set_delivery_mode(catalogue::ONLINE);
    s->set_capacity(capacity);
    catalogue::Session session;
    grpc::Status status = catalogue_stub_->CreateSession(
        Context(kAdminKey).get(), request, &session);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return session.name();
  }

  booking::Booking Book(const std::string& session, int n,
                        const std::string& line_manager = "") {
    booking::CreateBookingRequest r = BookingRequest(session, n);
    r.mutable_booking()->mutable_attendee()->set_line_manager_email(
        line_manager);
    booking::Booking reply;
    grpc::Status status =
        booking_stub_->CreateBooking(Context().get(), r, &reply);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply;
  }

  // Every message the sink has stored, in order.
  std::vector<Mail> StoredMail() {
    std::vector<Mail> out;
    std::ifstream in(mail_dir_ + "/index.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
      if (entry.is_discarded()) continue;
      Mail mail;
      mail.file = mail_dir_ + "/" + entry.value("file", "");
      mail.rcpt_tos = entry.value("rcpt_tos", std::vector<std::string>{});
      mail.message_id = entry.value("message_id", "");
      out.push_back(std::move(mail));
    }
    return out;
  }

  // Waits (watchdog) until the sink holds at least `count` messages; then
  // reads each one's parts and calendar.
  std::vector<Mail> WaitForMail(size_t count) {
    const absl::Time deadline = absl::Now() + kWatchdog;
    std::vector<Mail> mail = StoredMail();
    while (mail.size() < count && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(100));
      mail = StoredMail();
    }
    EXPECT_GE(mail.size(), count) << notification_.child->Log();
    for (Mail& m : mail) ReadParts(m);
    return mail;
  }

  static void ReadParts(Mail& m) {
    const std::string ics = m.file + ".ics";
    nlohmann::json parts = nlohmann::json::parse(
        RunCommand(absl::StrCat("/usr/bin/python3 ", TESTS_DIR,
                                "/mail_parts.py '", m.file, "' '", ics, "'")),
        nullptr, false);
    if (parts.is_discarded()) {
      ADD_FAILURE() << "mail_parts.py could not read " << m.file;
      return;
    }
    m.subject = parts.value("subject", "");
    m.text = parts.value("text", "");
    m.calendar_method = parts.value("calendar_method", "");
    m.reply_to = parts.value("reply_to", "");
    if (std::filesystem::file_size(ics) == 0) return;
    m.ics_python = RunCommand(absl::StrCat("/usr/bin/python3 ", TESTS_DIR,
                                           "/ics_check.py '", ics, "'"));
    m.ics_js = RunCommand(
        absl::StrCat("node ", TESTS_DIR, "/ics_check.mjs '", ics, "'"));
    m.ics = nlohmann::json::parse(m.ics_python, nullptr, false);
  }

  // The messages to `address`, in the order the sink took them.
  static std::vector<Mail> To(const std::vector<Mail>& mail,
                              const std::string& address) {
    std::vector<Mail> out;
    for (const Mail& m : mail) {
      if (m.rcpt_tos.size() == 1 && m.rcpt_tos[0] == address) out.push_back(m);
    }
    return out;
  }

  std::unique_ptr<notification::NotificationService::Stub> NotificationStub() {
    return notification::NotificationService::NewStub(Channel(notification_));
  }

  // The deliveries about `booking`, newest first, without the scheduled
  // ones (reminders) that wait for their time.
  std::vector<notification::Delivery> Deliveries(const std::string& booking) {
    notification::ListDeliveriesRequest request;
    request.set_booking(booking);
    for (int state = notification::Delivery::QUEUED;
         state <= notification::Delivery::SENDING; ++state) {
      request.add_states(static_cast<notification::Delivery::State>(state));
    }
    notification::ListDeliveriesResponse response;
    grpc::Status status = NotificationStub()->ListDeliveries(
        Context(kAdminKey).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.deliveries().begin(), response.deliveries().end()};
  }

  // Waits (watchdog) until every delivery about `booking` has ended (SENT,
  // FAILED or CANCELLED) and there are at least `count`.
  std::vector<notification::Delivery> WaitForDeliveries(
      const std::string& booking, size_t count) {
    const absl::Time deadline = absl::Now() + kWatchdog;
    std::vector<notification::Delivery> found;
    while (absl::Now() < deadline) {
      found = Deliveries(booking);
      bool ended = found.size() >= count;
      for (const auto& d : found) {
        ended &= d.state() == notification::Delivery::SENT ||
                 d.state() == notification::Delivery::FAILED ||
                 d.state() == notification::Delivery::CANCELLED;
      }
      if (ended) break;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return found;
  }

  std::unique_ptr<ChildProcess> sink_;
  int smtp_port_ = 0;
  std::string mail_dir_;
  std::string rules_file_;
  std::string notification_db_url_;
  Process booking_;
  Process notification_;
  std::unique_ptr<booking::BookingService::Stub> booking_stub_;
};

}  // namespace training::testing

#endif  // TRAINING_TESTS_NOTIFICATION_PROCESS_FIXTURE_H_
