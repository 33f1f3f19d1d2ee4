// The metric names the alerting rules and the dashboard use
// (deploy/monitoring) against what the services really export, scraped
// from real processes after traffic of every kind the rules watch: a rule
// on a misspelt or renamed metric would never fire.

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

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

// The metric names of a Prometheus text exposition: every sample's name
// and every family's `# TYPE` line.
std::set<std::string> ExportedNames(const std::string& exposition) {
  std::set<std::string> names;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (absl::StartsWith(line, "# TYPE ")) {
      std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
      if (parts.size() >= 3) names.insert(std::string(parts[2]));
    } else if (!line.empty() && line[0] != '#') {
      names.insert(std::string(line.substr(0, line.find_first_of("{ "))));
    }
  }
  return names;
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
  std::set<std::string> exported;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    exported.clear();
    for (int port :
         {catalogue_.metrics_port, booking.metrics_port, gateway_metrics}) {
      std::set<std::string> names =
          ExportedNames(HttpGet(port, "/metrics").value_or(""));
      exported.insert(names.begin(), names.end());
    }
    if (exported.contains("training_events_lag_seconds_bucket")) break;
    absl::SleepFor(absl::Milliseconds(100));
  }

  std::set<std::string> used =
      UsedNames(ReadFile(MONITORING_DIR "/rules/training.yml"));
  const std::set<std::string> on_dashboard =
      UsedNames(ReadFile(MONITORING_DIR "/grafana/booking-health.json"));
  used.insert(on_dashboard.begin(), on_dashboard.end());

  EXPECT_GE(used.size(), 15u) << "the files were read";
  for (const std::string& name : used) {
    EXPECT_TRUE(exported.contains(name)) << name << " is not exported";
  }
}

}  // namespace
}  // namespace training::testing
