// gateway_bench: what the gateway costs, measured in one run against its
// neighbours (issue 27's benchmark). Every target gets the same load shape
// (--threads, --connections; wrk for HTTP, the same number of calls in
// flight for gRPC), in --repetitions interleaved rounds of --seconds each:
//
//   (a) GET one session through the gateway (JSON);
//   (b) the same RPC (GetSession) straight to the catalogue over gRPC;
//   (c) the same JSON bytes as a static file from nginx (worker processes
//       = the gateway's I/O threads, keep-alive on, access log off);
//   (d) /healthz on the gateway (the HTTP listener alone);
//   (e) a booking through the gateway, and (f) the same over gRPC.
//
// The gateway runs with its access log off (--log_level=warning) and rate
// limits off, as nginx has no log and no limits. Prints median [min, max]
// of requests per second and of p50/p99 latency, and the ratios a/b, d/c
// and e/f. Everything shares the machine's cores with the load generator:
// the ratios, measured in one run, are what to compare.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "bench/http_load.h"
#include "bench/peak_memory.h"
#include "bench/suite_under_test.h"
#include "common/config/flags.h"
#include "common/testing/process.h"

ABSL_FLAG(int, threads, 2,
          "wrk threads and gateway I/O threads (and nginx "
          "workers).");
ABSL_FLAG(int, connections, 64,
          "HTTP connections (wrk), and gRPC calls in flight.");
ABSL_FLAG(double, seconds, 10, "Length of each measured run.");
ABSL_FLAG(int, repetitions, 5, "Interleaved rounds of every target.");
ABSL_FLAG(bool, nginx_open_file_cache, false,
          "Let nginx keep the file open between requests (faster nginx; "
          "off in its defaults).");

namespace training::bench {
namespace {

namespace booking = training::booking::v1;
namespace catalogue = training::catalogue::v1;

using Samples = std::vector<LoadFigures>;

// The booking request wrk sends: a new person and a new version-4
// Idempotency-Key for every request (anonymous keys must be random UUIDs),
// unique across rounds through BENCH_ROUND.
constexpr char kBookingScript[] = R"lua(
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
local sessions = {}
for name in string.gmatch(os.getenv("BENCH_SESSIONS"), "[^,]+") do
  sessions[#sessions + 1] = name
end
local round = tonumber(os.getenv("BENCH_ROUND"))
function request()
  n = n + 1
  local session = sessions[(n % #sessions) + 1]
  local key = string.format("%08x-%04x-4000-8000-%012x", tid, round, n)
  local body = string.format(
    '{"session":"%s","attendee":{"displayName":"Bench %d","email":' ..
    '"b%d.%d.%d@bench.example","organisation":"Bench Org",' ..
    '"agencyType":"HEALTH","jobRole":"Nurse","consentGiven":true}}',
    session, n, round, tid, n)
  return wrk.format("POST", "/v1/bookings",
    {["Content-Type"] = "application/json", ["Idempotency-Key"] = key}, body)
end
)lua";

class GatewayBench {
 public:
  // 20 sessions of 10,000 places: 200,000 bookings before any waits.
  static constexpr size_t kSessionsPerRun = 20;

  bool Start() {
    SuiteOptions options;
    options.places = 10000;
    if (!suite_.Start(options)) return false;
    dir_ = suite_.dir();
    const int threads = absl::GetFlag(FLAGS_threads);
    gateway_ = std::make_unique<testing::ChildProcess>(
        GATEWAY_BINARY,
        std::vector<std::string>{
            "--http_port=0", "--metrics_port=0",
            "--port_file=" + dir_ + "/gateway.port",
            absl::StrCat("--http_threads=", threads),
            "--log_level=warning",  // no access log, as nginx has none
            "--rate_limit_per_key=off", "--rate_limit_per_address=off",
            "--rate_limit_anonymous_writes=off",
            absl::StrCat("--catalogue_address=127.0.0.1:",
                         suite_.catalogue_server().port),
            absl::StrCat("--booking_address=127.0.0.1:",
                         suite_.booking_servers()[0].port)},
        std::map<std::string, std::string>{}, dir_ + "/gateway.log");
    gateway_port_ =
        testing::WaitForPortFile(dir_ + "/gateway.port", absl::Seconds(30))
            .value_or(0);
    if (gateway_port_ == 0) {
      std::fprintf(stderr, "the gateway did not start:\n%s\n",
                   gateway_->Log().c_str());
      return false;
    }
    std::vector<std::string> sessions = suite_.NewSessions(1);
    if (sessions.empty()) return false;
    session_ = sessions[0];
    // (c) serves exactly the bytes (a) answers.
    std::optional<std::string> json =
        testing::HttpGet(gateway_port_, "/v1/" + session_);
    if (!json.has_value()) {
      std::fprintf(stderr, "GET through the gateway failed\n");
      return false;
    }
    std::filesystem::create_directories(dir_ + "/www");
    std::ofstream(dir_ + "/www/session.json") << *json;
    std::ofstream(dir_ + "/booking.lua") << kBookingScript;
    if (!nginx_.Start(dir_, threads,
                      absl::GetFlag(FLAGS_nginx_open_file_cache))) {
      return false;
    }
    std::fprintf(stderr,
                 "gateway: --http_threads=%d --log_level=warning, "
                 "rate limits off\nnginx:\n%s",
                 threads, nginx_.config().c_str());
    // gRPC: one channel per wrk thread, as wrk has one event loop each.
    for (int i = 0; i < threads; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("bench.channel", i);  // distinct channels, own connections
      catalogue_.push_back(
          catalogue::CatalogueService::NewStub(grpc::CreateCustomChannel(
              absl::StrCat("127.0.0.1:", suite_.catalogue_server().port),
              grpc::InsecureChannelCredentials(), args)));
      booking_.push_back(
          booking::BookingService::NewStub(grpc::CreateCustomChannel(
              absl::StrCat("127.0.0.1:", suite_.booking_servers()[0].port),
              grpc::InsecureChannelCredentials(), args)));
    }
    return true;
  }

  LoadFigures Http(const std::string& path, const std::string& script = "",
                   const std::string& environment = "", int port = 0) {
    WrkOptions options;
    options.threads = absl::GetFlag(FLAGS_threads);
    options.connections = absl::GetFlag(FLAGS_connections);
    options.length = absl::Seconds(absl::GetFlag(FLAGS_seconds));
    options.script = script;
    options.environment = environment;
    return RunWrk(absl::StrCat("http://127.0.0.1:",
                               port == 0 ? gateway_port_ : port, path),
                  options);
  }

  // Keeps --connections calls in flight for --seconds; latency per call.
  LoadFigures Grpc(
      const std::function<void(int, std::function<void(bool)>)>& start) {
    absl::Mutex mu;
    std::vector<double> latencies;
    long long errors = 0;
    LoadFigures figures;
    figures.requests_per_second =
        ClosedLoop(absl::GetFlag(FLAGS_connections),
                   absl::Seconds(absl::GetFlag(FLAGS_seconds)),
                   [&](int i, std::function<void(bool)> done) {
                     const absl::Time begun = absl::Now();
                     start(i, [&, begun, done = std::move(done)](bool ok) {
                       {
                         absl::MutexLock lock(&mu);
                         latencies.push_back(
                             absl::ToDoubleMilliseconds(absl::Now() - begun));
                         errors += ok ? 0 : 1;
                       }
                       done(ok);
                     });
                   });
    absl::MutexLock lock(&mu);
    figures.p50_ms = Quantile(latencies, 0.5);
    figures.p99_ms = Quantile(latencies, 0.99);
    figures.errors = errors;
    figures.ok = true;
    return figures;
  }

  LoadFigures GrpcGetSession() {
    struct Call {
      grpc::ClientContext context;
      catalogue::GetSessionRequest request;
      catalogue::Session reply;
    };
    return Grpc([this](int i, std::function<void(bool)> done) {
      auto call = std::make_shared<Call>();
      call->request.set_name(session_);
      call->context.set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::seconds(30));
      catalogue_[i % catalogue_.size()]->async()->GetSession(
          &call->context, &call->request, &call->reply,
          [call, done](grpc::Status s) { done(s.ok()); });
    });
  }

  LoadFigures GrpcBook(const std::vector<std::string>& sessions, int round) {
    struct Call {
      grpc::ClientContext context;
      booking::CreateBookingRequest request;
      booking::Booking reply;
    };
    return Grpc(
        [this, &sessions, round](int i, std::function<void(bool)> done) {
          auto call = std::make_shared<Call>();
          call->request.set_request_id(
              absl::StrFormat("%08x-%04x-4000-8000-%012x", 99, round, i));
          call->request.mutable_booking()->set_session(
              sessions[i % sessions.size()]);
          auto* a = call->request.mutable_booking()->mutable_attendee();
          a->set_display_name(absl::StrCat("Bench ", i));
          a->set_email(absl::StrCat("g", round, ".", i, "@bench.example"));
          a->set_organisation("Bench Org");
          a->set_agency_type(training::type::v1::HEALTH);
          a->set_job_role("Nurse");
          a->set_consent_given(true);
          call->context.set_deadline(std::chrono::system_clock::now() +
                                     std::chrono::seconds(30));
          booking_[i % booking_.size()]->async()->CreateBooking(
              &call->context, &call->request, &call->reply,
              [call, done](grpc::Status s) { done(s.ok()); });
        });
  }

  int Run() {
    std::map<std::string, Samples> results;
    const int rounds = absl::GetFlag(FLAGS_repetitions);
    for (int round = 1; round <= rounds; ++round) {
      std::fprintf(stderr, "round %d of %d\n", round, rounds);
      results["a gateway GET session"].push_back(Http("/v1/" + session_));
      results["b gRPC GetSession"].push_back(GrpcGetSession());
      results["c nginx static file"].push_back(
          Http("/session.json", "", "", nginx_.port()));
      results["d gateway /healthz"].push_back(Http("/healthz"));
      // Fresh sessions for each booking run, enough places that neither
      // run fills them (a booking that confirms, not one that waits, is
      // measured both ways).
      std::vector<std::string> for_http = suite_.NewSessions(kSessionsPerRun);
      std::vector<std::string> for_grpc = suite_.NewSessions(kSessionsPerRun);
      if (for_http.size() != kSessionsPerRun ||
          for_grpc.size() != kSessionsPerRun) {
        return 1;
      }
      results["e gateway booking"].push_back(
          Http("/v1/bookings", dir_ + "/booking.lua",
               absl::StrCat("BENCH_SESSIONS=", absl::StrJoin(for_http, ","),
                            " BENCH_ROUND=", round)));
      results["f gRPC booking"].push_back(GrpcBook(for_grpc, round));
    }
    Print(results);
    return 0;
  }

 private:
  static Stats Of(const Samples& samples, double LoadFigures::*field) {
    std::vector<double> values;
    for (const LoadFigures& f : samples) values.push_back(f.*field);
    return Summarise(values);
  }

  void Print(const std::map<std::string, Samples>& results) {
    std::printf(
        "\n%d rounds of %.0f s; %d connections (HTTP) or calls in flight "
        "(gRPC), %d threads\n\n",
        absl::GetFlag(FLAGS_repetitions), absl::GetFlag(FLAGS_seconds),
        absl::GetFlag(FLAGS_connections), absl::GetFlag(FLAGS_threads));
    std::printf(
        "| target | requests/s median [min, max] | p50 ms | p99 ms | "
        "errors |\n|---|---|---|---|---|\n");
    std::map<std::string, double> median;
    for (const auto& [name, samples] : results) {
      const Stats rate = Of(samples, &LoadFigures::requests_per_second);
      const Stats p50 = Of(samples, &LoadFigures::p50_ms);
      const Stats p99 = Of(samples, &LoadFigures::p99_ms);
      long long errors = 0;
      bool ok = true;
      for (const LoadFigures& f : samples) {
        errors += f.errors;
        ok = ok && f.ok;
      }
      median[name.substr(0, 1)] = rate.median;
      std::printf("| %s | %.0f [%.0f, %.0f] | %.2f | %.2f | %lld%s |\n",
                  name.c_str(), rate.median, rate.low, rate.high, p50.median,
                  p99.median, errors, ok ? "" : " (a run failed)");
    }
    std::printf(
        "\nratios of medians: a/b %.2f (goal >= 0.5), d/c %.2f (goal "
        ">= 0.7), e/f %.2f\n",
        median["a"] / median["b"], median["d"] / median["c"],
        median["e"] / median["f"]);
  }

  SuiteUnderTest suite_;
  std::string dir_;
  std::unique_ptr<testing::ChildProcess> gateway_;
  int gateway_port_ = 0;
  NginxServer nginx_;
  std::string session_;
  std::vector<std::unique_ptr<catalogue::CatalogueService::Stub>> catalogue_;
  std::vector<std::unique_ptr<booking::BookingService::Stub>> booking_;
};

}  // namespace
}  // namespace training::bench

int main(int argc, char** argv) {
  training::config::ParseFlagsOrExit(
      argc, argv,
      "gateway_bench: the gateway against direct gRPC and nginx, in one run.");
  training::bench::PeakMemoryWatch memory;
  training::bench::GatewayBench bench;
  if (!bench.Start()) return 1;
  return bench.Run();
}
