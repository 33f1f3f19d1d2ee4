#include "bench/suite_under_test.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "common/auth/api_keys.h"
#include "common/sql/testing/test_databases.h"

namespace training::bench {
namespace {

namespace booking = training::booking::v1;
namespace catalogue = training::catalogue::v1;

const std::string kServiceKey = "trk_bench_service_flash_crowd_0000001";

std::string KeyEntry(const std::string& name, const std::string& key,
                     const std::string& role, const std::string& service = "") {
  return absl::StrCat(R"({"name":")", name, R"(","sha256":")",
                      auth::Sha256Hex(key), R"(","role":")", role,
                      R"(","organisation":"Bench","scopes":[],"service":")",
                      service, R"("})");
}

// Several connections per server, so that thousands of calls in flight are
// not queued behind one HTTP/2 connection's stream limit.
std::vector<std::shared_ptr<grpc::Channel>> Channels(int port, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("bench.channel", i);
    channels.push_back(
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                  grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

// The value of each /metrics line of every replica that starts with
// `prefix`, summed.
double SumOfLines(const std::vector<SuiteUnderTest::Server>& servers,
                  const std::string& prefix) {
  double sum = 0;
  for (const SuiteUnderTest::Server& s : servers) {
    auto text = testing::HttpGet(s.metrics_port, "/metrics");
    if (!text) continue;
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      double v = 0;
      const size_t space = line.rfind(' ');
      if (space != absl::string_view::npos && absl::StartsWith(line, prefix) &&
          absl::SimpleAtod(line.substr(space + 1), &v)) {
        sum += v;
      }
    }
  }
  return sum;
}

// The booking binary built beside the benchmark, or another build's named
// by TRAINING_BENCH_BOOKING_BINARY (to compare two commits in one run of
// the same client).
std::string BookingBinary() {
  const char* other = std::getenv("TRAINING_BENCH_BOOKING_BINARY");
  return other != nullptr && *other != '\0' ? other : BOOKING_BINARY;
}

}  // namespace

std::unique_ptr<grpc::ClientContext> Context(const std::string& key) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
  if (!key.empty()) c->AddMetadata("authorization", "Bearer " + key);
  return c;
}

bool Retryable(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
         s.error_code() == grpc::StatusCode::ABORTED;
}

double ClosedLoop(
    int in_flight, absl::Duration length,
    const std::function<void(int, std::function<void(bool)>)>& start) {
  absl::Mutex mu;
  int64_t completed = 0;
  int active = 0;
  bool stopping = false;
  std::atomic<int> next{0};
  std::function<void()> launch;
  launch = [&] {
    start(next++, [&](bool) {
      {
        absl::MutexLock lock(&mu);
        ++completed;
        if (stopping) {
          --active;
          return;
        }
      }
      // The next call starts outside the lock: starts on gRPC's threads
      // must not wait for one another.
      launch();
    });
  };
  const absl::Time begin = absl::Now();
  {
    absl::MutexLock lock(&mu);
    active = in_flight;
  }
  for (int i = 0; i < in_flight; ++i) launch();
  absl::SleepFor(length);
  int64_t done_at_end;
  {
    absl::MutexLock lock(&mu);
    stopping = true;
    done_at_end = completed;
  }
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - begin);
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](int* left) { return *left == 0; }, &active));
  return done_at_end / elapsed;
}

bool SuiteUnderTest::Start(const SuiteOptions& options) {
  options_ = options;
  dir_ = testing::MakeTempDir("bench-suite");
  if (!redis_.Start()) {
    std::fprintf(stderr, "redis-server did not start\n");
    return false;
  }
  std::ofstream(dir_ + "/keys.json")
      << R"({"keys":[)" << KeyEntry("admin", kAdminKey, "ADMIN") << ","
      << KeyEntry("booking", kServiceKey, "SERVICE", "booking") << ","
      << KeyEntry("notification", kNotificationKey, "SERVICE", "notification")
      << "]}";
  catalogue_ = StartServer(CATALOGUE_BINARY, "catalogue", {});
  if (catalogue_.port == 0) return false;
  catalogue_stub_ =
      catalogue::CatalogueService::NewStub(Channels(catalogue_.port, 1)[0]);
  if (!CreateCourse()) {
    std::fprintf(stderr, "the catalogue refused the course\n");
    return false;
  }
  const bool postgres = options.engine == "postgres";
  if (postgres) {
    const std::string pg =
        Env("TRAINING_BENCH_POSTGRES_URL", "TRAINING_TEST_POSTGRES_URL");
    if (pg.empty()) {
      std::fprintf(stderr, "set TRAINING_BENCH_POSTGRES_URL\n");
      return false;
    }
    setenv("TRAINING_TEST_POSTGRES_URL", pg.c_str(), 0);
    auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
    if (!url.ok()) return false;
    booking_url_ = *url;
  } else {
    booking_url_ = "sqlite://" + dir_ + "/booking.db";
  }
  for (int r = 0; r < options.replicas; ++r) {
    std::vector<std::string> flags = {
        "--database_url=" + booking_url_ + (postgres ? "?pool_size=16" : ""),
        "--catalogue_address=127.0.0.1:" + std::to_string(catalogue_.port),
        "--manage_token_secrets=b1:"
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
        absl::StrCat("--address_hash_secrets=", kAddressHashSecrets)};
    flags.insert(flags.end(), options.booking_flags.begin(),
                 options.booking_flags.end());
    Server s = StartServer(BookingBinary(), absl::StrCat("booking", r), flags,
                           {{"TRAINING_SERVICE_KEY", kServiceKey}});
    if (s.port == 0) return false;
    for (auto& channel : Channels(s.port, 4)) {
      booking_stubs_.push_back(booking::BookingService::NewStub(channel));
      health_stubs_.push_back(grpc::health::v1::Health::NewStub(channel));
    }
    bookings_.push_back(std::move(s));
  }
  return true;
}

SuiteUnderTest::Server SuiteUnderTest::StartServer(
    const std::string& binary, const std::string& name,
    std::vector<std::string> extra, std::map<std::string, std::string> env) {
  Server s;
  const std::string dir = dir_ + "/" + name;
  std::filesystem::create_directories(dir);
  std::vector<std::string> args = {
      "--port=0",
      "--metrics_port=0",
      "--port_file=" + dir + "/port",
      "--metrics_port_file=" + dir + "/metrics_port",
      "--shutdown_grace=0s",
      "--data_dir=" + dir,
      "--api_keys_file=" + dir_ + "/keys.json",
      "--redis_url=" + redis_.url(),
      "--log_level=warning"};
  args.insert(args.end(), extra.begin(), extra.end());
  s.process =
      std::make_unique<testing::ChildProcess>(binary, args, env, dir + "/log");
  s.port =
      testing::WaitForPortFile(dir + "/port", absl::Seconds(60)).value_or(0);
  s.metrics_port =
      testing::WaitForPortFile(dir + "/metrics_port", absl::Seconds(60))
          .value_or(0);
  if (s.port == 0) std::fprintf(stderr, "%s did not start\n", name.c_str());
  return s;
}

bool SuiteUnderTest::CreateCourse() {
  catalogue::CreateCourseRequest course;
  course.set_course_id("flash");
  course.mutable_course()->set_title("Flash crowd");
  course.mutable_course()->mutable_duration()->set_seconds(3 * 3600);
  course.mutable_course()->set_level(catalogue::Course::INTRODUCTORY);
  course.mutable_course()->add_eligible_agency_types(
      training::type::v1::HEALTH);
  catalogue::Course created;
  if (!catalogue_stub_->CreateCourse(Context(kAdminKey).get(), course, &created)
           .ok()) {
    return false;
  }
  catalogue::PublishCourseRequest publish;
  publish.set_name("courses/flash");
  return catalogue_stub_
      ->PublishCourse(Context(kAdminKey).get(), publish, &created)
      .ok();
}

std::vector<std::string> SuiteUnderTest::NewSessions(int count) {
  std::vector<std::string> names;
  booking::BatchGetAvailabilityRequest warm;
  for (int i = 0; i < count; ++i) {
    catalogue::CreateSessionRequest request;
    request.set_parent("courses/flash");
    const absl::Time start = absl::Now() + absl::Hours(24 * 30);
    auto* s = request.mutable_session();
    s->mutable_start_time()->set_seconds(absl::ToUnixSeconds(start));
    s->mutable_end_time()->set_seconds(
        absl::ToUnixSeconds(start + absl::Hours(3)));
    s->set_delivery_mode(catalogue::ONLINE);
    s->set_capacity(options_.places);
    catalogue::Session session;
    if (catalogue_stub_
            ->CreateSession(Context(kAdminKey).get(), request, &session)
            .ok()) {
      names.push_back(session.name());
      warm.add_sessions(session.name());
    }
  }
  for (auto& stub : booking_stubs_) {
    booking::BatchGetAvailabilityResponse reply;
    grpc::Status status =
        stub->BatchGetAvailability(Context().get(), warm, &reply);
    if (!status.ok()) {
      // Not fatal: a replica not told now learns a session when it is
      // first booked; but say so, as it adds to the measured time.
      std::fprintf(stderr, "a replica did not learn the new sessions: %s\n",
                   status.error_message().c_str());
    }
  }
  return names;
}

std::pair<double, double> SuiteUnderTest::HistogramTotals(
    const std::string& name) {
  return {SumOfLines(bookings_, name + "_sum"),
          SumOfLines(bookings_, name + "_count")};
}

double SuiteUnderTest::CounterTotal(const std::string& series) {
  return SumOfLines(bookings_, series);
}

}  // namespace training::bench
