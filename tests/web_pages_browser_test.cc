// The public pages in a real browser: the whole suite (catalogue with the
// demo programme, booking, notification with a real SMTP server, content
// with its seed articles, the gateway) on loopback, and the Playwright
// script tests/web/booking_pages.test.mjs driving Debian's Chromium against
// it, with axe-core on every page. A second gateway whose booking backend
// is down shows the failure page; a third, with a tight limit on anonymous
// changes, the page for too many attempts. Afterwards, no manage token and no
// address the script booked with may appear in any service's log.

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/gateway_process_fixture.h"
#include "tests/smtp_sink_process.h"

namespace training::testing {
namespace {

const std::string kContentKey = "trk_service_web_pages_content_key_01";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Quoted-printable soft breaks and escapes undone, enough to find links.
std::string Unfold(std::string text) {
  text = std::regex_replace(text, std::regex("=\r?\n"), "");
  return std::regex_replace(text, std::regex("=3D"), "=");
}

class WebPagesBrowserTest : public GatewayProcessTest {
 protected:
  std::vector<std::string> ExtraKeys() override {
    std::vector<std::string> keys = GatewayProcessTest::ExtraKeys();
    keys.push_back(ServiceKeyEntry("content", kContentKey, "content"));
    return keys;
  }

  void SetUp() override {
    GatewayProcessTest::SetUp();
    if (HasFatalFailure()) return;
    mail_dir_ = dir_ + "/mail";
    const std::string rules = dir_ + "/smtp_rules.json";
    std::ofstream(rules) << R"({"rules":[]})";
    sink_ = StartSmtpSink(TESTS_DIR, dir_, mail_dir_, rules, kWatchdog);
    ASSERT_NE(sink_.port, 0) << sink_.child->Log();
    booking_ = StartBooking("booking", "");
    ASSERT_NE(booking_.port, 0);
    notification_ = StartProcess(
        NOTIFICATION_BINARY, "notification",
        {absl::StrCat("--booking_address=127.0.0.1:", booking_.port),
         absl::StrCat("--catalogue_address=127.0.0.1:", catalogue_.port),
         absl::StrCat("--smtp_port=", sink_.port), "--smtp_timeout=10s",
         "--send_lease=12s", "--max_send_rate=0",
         "--mail_from=training@partnership.example",
         "--mail_domain=partnership.example",
         "--public_base_url=https://book.example.org"},
        {{"TRAINING_SERVICE_KEY", kNotificationServiceKey}});
    ASSERT_NE(notification_.port, 0);
    content_ = StartProcess(
        CONTENT_BINARY, "content",
        {absl::StrCat("--booking_address=127.0.0.1:", booking_.port)},
        {{"TRAINING_SERVICE_KEY", kContentKey}});
    ASSERT_NE(content_.port, 0);
    ASSERT_EQ(RunLoader(CATALOGUE_DEMO_BINARY, catalogue_.port), 0);
    ASSERT_EQ(RunLoader(CONTENT_SEED_BINARY, content_.port), 0);
    // Three sessions a page, so that the demo programme has pages; plain
    // HTTP on loopback, so cookies cannot be Secure.
    gateway_ = StartGateway(catalogue_.port, booking_.port, notification_.port,
                            content_.port,
                            {"--web_page_size=3", "--secure_cookies=false"});
    ASSERT_NE(gateway_.port, 0);
    // Booking down behind this one: its pages fail as people would see it.
    broken_gateway_ = StartGateway(catalogue_.port, 0, notification_.port,
                                   content_.port, {"--secure_cookies=false"});
    ASSERT_NE(broken_gateway_.port, 0);
    // One anonymous change an hour: the second form is refused.
    limited_gateway_ = StartGateway(
        catalogue_.port, booking_.port, notification_.port, content_.port,
        {"--rate_limit_anonymous_writes=1/h:1", "--secure_cookies=false"});
    ASSERT_NE(limited_gateway_.port, 0);
  }

  int RunLoader(const std::string& binary, int port) {
    ChildProcess loader(binary, {absl::StrCat("--address=127.0.0.1:", port)},
                        {{"TRAINING_KEY", kAdminKey}},
                        MakeTempDir("loader") + "/log");
    std::optional<int> status = loader.Wait(kWatchdog);
    EXPECT_TRUE(status.has_value()) << loader.Log();
    EXPECT_EQ(status.value_or(-1), 0) << loader.Log();
    return status.value_or(-1);
  }

  // Every service's log, for the check that nothing personal is in them.
  std::string AllLogs() {
    std::string logs;
    for (const Process* p : {&catalogue_, &booking_, &notification_, &content_,
                             &gateway_, &broken_gateway_, &limited_gateway_}) {
      if (p->child) logs += p->child->Log();
    }
    return logs;
  }

  std::string mail_dir_;
  SmtpSink sink_;
  Process booking_, notification_, content_, broken_gateway_, limited_gateway_;
};

TEST_F(WebPagesBrowserTest, PeopleFindASessionAndBookAPlace) {
  const std::string screenshots = std::string(SCREENSHOT_DIR);
  std::filesystem::create_directories(screenshots);
  const std::string out = MakeTempDir("playwright") + "/out";
  ChildProcess script(
      "/usr/bin/env",
      {"node", "--test", "--test-reporter=spec", "--test-timeout=120000",
       "--test-concurrency=1",
       std::string(TESTS_DIR) + "/web/booking_pages.test.mjs",
       std::string(TESTS_DIR) + "/web/manage_pages.test.mjs",
       std::string(TESTS_DIR) + "/web/learning_pages.test.mjs"},
      {{"BASE_URL", absl::StrCat("http://127.0.0.1:", gateway_.port)},
       {"BROKEN_URL", absl::StrCat("http://127.0.0.1:", broken_gateway_.port)},
       {"LIMITED_URL",
        absl::StrCat("http://127.0.0.1:", limited_gateway_.port)},
       {"ADMIN_KEY", kAdminKey},
       {"MAIL_DIR", mail_dir_},
       {"SCREENSHOT_DIR", screenshots},
       {"BOOKING_DB", booking_.dir + "/booking.db"}},
      out);
  // A watchdog, not a timing claim: the script drives a browser through
  // some forty pages.
  const std::optional<int> status = script.Wait(absl::Minutes(10));
  std::cout << script.Log() << "\n";
  ASSERT_TRUE(status.has_value()) << "the browser script hung";
  EXPECT_EQ(*status, 0) << "see the script's output above";

  // Every manage token mailed, and every address the script booked with,
  // is absent from every log line of every service.
  const std::string logs = AllLogs();
  std::set<std::string> secrets;
  const std::regex token(R"(/manage/[A-Z0-9]{8}/([A-Za-z0-9_-]{20,}))");
  const std::regex address(R"(pw-[a-z0-9-]+@example\.org)");
  for (const auto& entry : std::filesystem::directory_iterator(mail_dir_)) {
    const std::string text = Unfold(ReadFile(entry.path().string()));
    for (std::sregex_iterator it(text.begin(), text.end(), token), end;
         it != end; ++it) {
      secrets.insert((*it)[1]);
    }
    for (std::sregex_iterator it(text.begin(), text.end(), address), end;
         it != end; ++it) {
      secrets.insert(it->str());
    }
  }
  EXPECT_GE(secrets.size(), 4u) << "the script's bookings sent no mail";
  for (const std::string& secret : secrets) {
    EXPECT_EQ(logs.find(secret), std::string::npos)
        << "a log line holds personal data or a token";
  }
}

}  // namespace
}  // namespace training::testing
