// The metric names the alerting rules and the dashboard use
// (deploy/monitoring) against what the services really export, scraped
// from real processes after traffic of every kind the rules watch: a rule
// on a misspelt or renamed metric would never fire.

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/booking_process_fixture.h"

namespace training::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// What a Prometheus text exposition holds: the name of every sample (a
// family with no sample is not enough: a rule on it sees nothing), and
// every label="value" pair of its samples.
struct Exported {
  std::set<std::string> names;
  std::set<std::pair<std::string, std::string>> labels;
};

void AddExposition(const std::string& exposition, Exported& exported) {
  static const std::regex label(R"re((\w+)="([^"]*)")re");
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == absl::string_view::npos) continue;  // not a sample
    exported.names.insert(std::string(line.substr(0, name_end)));
    const std::string rest(line.substr(name_end));
    for (std::sregex_iterator it(rest.begin(), rest.end(), label), end;
         it != end; ++it) {
      exported.labels.insert({(*it)[1], (*it)[2]});
    }
  }
}

// The label="value" matchers of the rules and the dashboard (job and
// instance come from Prometheus' scrape configuration, not from the
// services).
std::vector<std::pair<std::string, std::string>> EqualityMatchers(
    const std::string& text) {
  static const std::regex matcher(R"re([{,]\s*(\w+)\s*=\s*"([^"]*)")re");
  std::vector<std::pair<std::string, std::string>> found;
  for (std::sregex_iterator it(text.begin(), text.end(), matcher), end;
       it != end; ++it) {
    if ((*it)[1] != "job" && (*it)[1] != "instance") {
      found.push_back({(*it)[1], (*it)[2]});
    }
  }
  return found;
}

// The codes of grpc_code=~"A|B" matchers.
std::vector<std::string> CodesMatched(const std::string& text) {
  static const std::regex matcher(R"re(grpc_code\s*=~\s*"([^"]*)")re");
  std::vector<std::string> codes;
  for (std::sregex_iterator it(text.begin(), text.end(), matcher), end;
       it != end; ++it) {
    for (absl::string_view code : absl::StrSplit((*it)[1].str(), '|')) {
      codes.emplace_back(code);
    }
  }
  return codes;
}

// The suite's metric names a rule file or dashboard mentions (recording
// rules, `training:…`, and Prometheus' own `up` are not the services').
std::set<std::string> UsedNames(const std::string& text) {
  // Label names are not metrics: drop grouping clauses, `by (grpc_code)`,
  // and skip names a matcher follows, `grpc_code="OK"`, or a legend
  // template, `{{grpc_code}}`.
  static const std::regex grouping(R"(\b(by|without|on|ignoring)\s*\([^)]*\))");
  static const std::regex name(
      R"(\b((?:training|grpc|http|process)_[a-z0-9_]+)\b(?!\s*(=|!=|!~|\}\})))");
  const std::string queries = std::regex_replace(text, grouping, "");
  std::set<std::string> names;
  for (std::sregex_iterator it(queries.begin(), queries.end(), name), end;
       it != end; ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

class MetricsContractTest : public BookingProcessTest {};

TEST_F(MetricsContractTest, EveryMetricTheRulesAndDashboardUseIsExported) {
  const std::string session = CreateSession(1);
  Process booking = StartBooking("booking", "");
  auto stub = booking::BookingService::NewStub(Channel(booking));
  // Two bookings (one confirmed, one waiting) and a refused one.
  Run run = BookConcurrently({stub.get()}, session, 2, 1);
  ASSERT_EQ(run.replies.size(), 2u);
  booking::CreateBookingRequest bad = BookingRequest(session, 9);
  bad.set_request_id("not-a-uuid");
  booking::Booking ignored;
  EXPECT_EQ(stub->CreateBooking(Context().get(), bad, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A notification service (its relay is nowhere: port 1).
  Process notification =
      StartProcess(NOTIFICATION_BINARY, "notification", {"--smtp_port=1"}, {});
  ASSERT_NE(notification.metrics_port, 0);
  // A gateway, asked what gateways are asked.
  const std::string gateway_dir = MakeTempDir("gateway");
  ChildProcess gateway(
      GATEWAY_BINARY,
      {"--http_port=0", "--metrics_port=0",
       "--port_file=" + gateway_dir + "/port",
       "--metrics_port_file=" + gateway_dir + "/metrics_port",
       absl::StrCat("--catalogue_address=127.0.0.1:", catalogue_.port),
       absl::StrCat("--booking_address=127.0.0.1:", booking.port)},
      {}, gateway_dir + "/log");
  const int gateway_port =
      WaitForPortFile(gateway_dir + "/port", kWatchdog).value_or(0);
  const int gateway_metrics =
      WaitForPortFile(gateway_dir + "/metrics_port", kWatchdog).value_or(0);
  ASSERT_NE(gateway_port, 0) << gateway.Log();
  EXPECT_TRUE(HttpGet(gateway_port, "/healthz").has_value());
  EXPECT_TRUE(HttpGet(gateway_port, "/readyz").has_value());
  // Booking has consumed the catalogue's events (its lag histogram shows).
  Exported exported;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    exported = Exported();
    for (int port : {catalogue_.metrics_port, booking.metrics_port,
                     notification.metrics_port, gateway_metrics}) {
      AddExposition(HttpGet(port, "/metrics").value_or(""), exported);
    }
    if (exported.names.contains("training_events_lag_seconds_bucket")) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  const std::string rules = ReadFile(MONITORING_DIR "/rules/training.yml");
  const std::string dashboard =
      ReadFile(MONITORING_DIR "/grafana/booking-health.json");
  std::set<std::string> used = UsedNames(rules);
  const std::set<std::string> on_dashboard = UsedNames(dashboard);
  used.insert(on_dashboard.begin(), on_dashboard.end());
  std::set<std::string> codes;
  for (int code = 0; code <= 16; ++code) {
    codes.insert(absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
  }

  EXPECT_GE(used.size(), 15u) << "the files were read";
  for (const std::string& name : used) {
    EXPECT_TRUE(exported.names.contains(name)) << name << " is not exported";
  }
  for (const std::string& text : {rules, dashboard}) {
    for (const auto& [label, value] : EqualityMatchers(text)) {
      if (label == "grpc_code") {
        // A code the traffic above did not produce still has to be one.
        EXPECT_TRUE(codes.contains(value)) << "grpc_code " << value;
      } else {
        EXPECT_TRUE(exported.labels.contains({label, value}))
            << label << "=\"" << value << "\" is not exported";
      }
    }
    for (const std::string& code : CodesMatched(text)) {
      EXPECT_TRUE(codes.contains(code)) << "grpc_code " << code;
    }
  }
}

// Every alert names its runbook section, and the section is there.
TEST(MonitoringTest, EveryAlertHasItsRunbookSection) {
  const std::string rules = ReadFile(MONITORING_DIR "/rules/training.yml");
  const std::string runbook = ReadFile(RUNBOOK_PATH);
  static const std::regex alert(R"(- alert: (\w+))");
  static const std::regex link(R"(runbook: doc/runbook\.md#(\w+))");
  std::vector<std::string> alerts, links;
  for (std::sregex_iterator it(rules.begin(), rules.end(), alert), end;
       it != end; ++it) {
    alerts.push_back((*it)[1]);
  }
  for (std::sregex_iterator it(rules.begin(), rules.end(), link), end;
       it != end; ++it) {
    links.push_back((*it)[1]);
  }

  ASSERT_GE(alerts.size(), 15u);
  ASSERT_EQ(alerts.size(), links.size());
  for (size_t i = 0; i < alerts.size(); ++i) {
    SCOPED_TRACE(alerts[i]);
    EXPECT_EQ(links[i], absl::AsciiStrToLower(alerts[i]));
    EXPECT_TRUE(absl::StrContains(runbook, "\n## " + alerts[i] + "\n"));
  }
}

}  // namespace
}  // namespace training::testing
