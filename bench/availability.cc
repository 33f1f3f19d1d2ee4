// Availability benchmark: how cheaply booking answers BatchGetAvailability,
// the call every listing page and agency portal makes far more often than
// anyone books, against real catalogue and booking processes (SQLite with
// one replica, or PostgreSQL with one or two) and a real Redis:
//
//   availability [--engine=sqlite|postgres] [--replicas=1] [--in_flight=64]
//                [--seconds=10] [--repetitions=5] [--ttl=5s]
//
// Twenty sessions of one course are made and known to every replica. Per
// repetition, interleaved, each case for --seconds with --in_flight calls
// in flight from one client, spread evenly over the replicas:
//   1. health Check (grpc.health.v1, the trivial RPC), the yardstick;
//   2. one-session calls, cache warm (session i % 20 for call i);
//   3. twenty-session calls, cache warm (a listing page: all 20);
//   4. and 5. the same two with Redis stopped (then restarted, with one
//      call per connection; figures expire within the TTL, so each warm
//      case starts by refilling them from the database).
// Printed: calls/s and sessions/s, median [min, max] over the
// repetitions; the share of cache reads that hit (from booking's
// training_availability_cache_total); CPU per call by process; and the
// ratios the goals are about.
// PostgreSQL comes from TRAINING_BENCH_POSTGRES_URL or
// TRAINING_TEST_POSTGRES_URL.

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "bench/suite_under_test.h"
#include "common/config/flags.h"

ABSL_FLAG(std::string, engine, "sqlite", "sqlite or postgres.");
ABSL_FLAG(int, replicas, 1, "Booking processes (PostgreSQL only for >1).");
ABSL_FLAG(int, in_flight, 64, "Calls in flight in every case.");
ABSL_FLAG(double, seconds, 10, "Length of each measured case.");
ABSL_FLAG(int, repetitions, 5, "Interleaved repetitions of every case.");
ABSL_FLAG(absl::Duration, ttl, absl::Seconds(5),
          "Booking's --availability_ttl (its default: 5s).");

namespace training::bench {
namespace {

namespace booking = training::booking::v1;

constexpr int kSessions = 20;

// One case's outcome.
struct Sample {
  double calls_per_second = 0;
  double hit_share = -1;  // of cache reads; -1 when none were counted
  CpuByProcess cpu;       // over the case
  int64_t calls = 0;
};

class AvailabilityBench {
 public:
  bool Start() {
    if (!suite_.Start({.engine = absl::GetFlag(FLAGS_engine),
                       .replicas = absl::GetFlag(FLAGS_replicas),
                       .booking_flags = {absl::StrCat(
                           "--availability_ttl=",
                           absl::FormatDuration(absl::GetFlag(FLAGS_ttl)))}})) {
      return false;
    }
    sessions_ = suite_.NewSessions(kSessions);
    if (sessions_.size() != kSessions) {
      std::fprintf(stderr, "could not make %d sessions\n", kSessions);
      return false;
    }
    return Warm();
  }

  Sample Health(absl::Duration length) {
    return Measure(length, [&](int i, std::function<void(bool)> done) {
      struct Call {
        grpc::health::v1::HealthCheckRequest request;
        grpc::health::v1::HealthCheckResponse reply;
        std::unique_ptr<grpc::ClientContext> context = Context();
      };
      auto call = std::make_shared<Call>();
      auto& stubs = suite_.health_stubs();
      stubs[i % stubs.size()]->async()->Check(
          call->context.get(), &call->request, &call->reply,
          [call, done](grpc::Status s) { done(s.ok()); });
    });
  }

  // Calls asking for `per_call` sessions each (1 or kSessions).
  Sample Availability(absl::Duration length, int per_call) {
    return Measure(
        length, [&, per_call](int i, std::function<void(bool)> done) {
          struct Call {
            booking::BatchGetAvailabilityRequest request;
            booking::BatchGetAvailabilityResponse reply;
            std::unique_ptr<grpc::ClientContext> context = Context();
          };
          auto call = std::make_shared<Call>();
          for (int k = 0; k < per_call; ++k) {
            call->request.add_sessions(sessions_[(i + k) % sessions_.size()]);
          }
          auto& stubs = suite_.booking_stubs();
          stubs[i % stubs.size()]->async()->BatchGetAvailability(
              call->context.get(), &call->request, &call->reply,
              [this, call, done, per_call](grpc::Status s) {
                done(s.ok() && call->reply.availabilities_size() == per_call);
                if (!s.ok() || call->reply.availabilities_size() != per_call) {
                  failed_.fetch_add(1);
                }
              });
        });
  }

  void StopRedis() { suite_.redis().Stop(); }
  bool StartRedis() { return suite_.redis().Start() && Warm(); }

  int64_t failed() const { return failed_.load(); }

 private:
  // Every replica reads every session once through each connection, so
  // that the cache holds them all.
  bool Warm() {
    booking::BatchGetAvailabilityRequest all;
    for (const std::string& s : sessions_) all.add_sessions(s);
    for (auto& stub : suite_.booking_stubs()) {
      booking::BatchGetAvailabilityResponse reply;
      if (!stub->BatchGetAvailability(Context().get(), all, &reply).ok()) {
        std::fprintf(stderr, "availability refused while warming\n");
        return false;
      }
    }
    return true;
  }

  Sample Measure(
      absl::Duration length,
      const std::function<void(int, std::function<void(bool)>)>& start) {
    const double hits_before = Hits(), misses_before = Misses();
    const CpuSample cpu_before = CpuNow();
    std::atomic<int64_t> calls{0};
    Sample sample;
    sample.calls_per_second =
        ClosedLoop(absl::GetFlag(FLAGS_in_flight), length,
                   [&](int i, std::function<void(bool)> done) {
                     calls.fetch_add(1);
                     start(i, std::move(done));
                   });
    sample.cpu = CpuUsed(cpu_before, CpuNow());
    sample.calls = calls.load();
    const double hits = Hits() - hits_before;
    const double misses = Misses() - misses_before;
    if (hits + misses > 0) sample.hit_share = hits / (hits + misses);
    return sample;
  }

  // From memory or from Redis.
  double Hits() {
    return suite_.CounterTotal(
               R"(training_availability_cache_total{outcome="hit"})") +
           suite_.CounterTotal(
               R"(training_availability_cache_total{outcome="redis_hit"})");
  }
  double Misses() {
    return suite_.CounterTotal(
        R"(training_availability_cache_total{outcome="miss"})");
  }

  SuiteUnderTest suite_;
  std::vector<std::string> sessions_;
  std::atomic<int64_t> failed_{0};
};

void Print(const char* what, const std::vector<double>& samples,
           const char* unit) {
  const Stats s = Summarise(samples);
  std::printf("  %-40s %10.1f %-10s [%.1f, %.1f]\n", what, s.median, unit,
              s.low, s.high);
}

// Median CPU per call, in µs, of each process that used any.
void PrintCpu(const char* what, const std::vector<Sample>& samples) {
  std::map<std::string, std::vector<double>> per_call;
  for (const Sample& s : samples) {
    if (s.calls == 0) continue;
    for (const auto& [name, time] : s.cpu) {
      per_call[name].push_back(absl::ToDoubleMicroseconds(time) / s.calls);
    }
  }
  std::string line;
  double total = 0;
  for (auto& [name, values] : per_call) {
    const double median = Summarise(values).median;
    if (median < 0.5) continue;  // kernel threads and strays
    total += median;
    absl::StrAppendFormat(&line, " %s %.1f;", name, median);
  }
  std::printf("  %-40s %.1f µs:%s\n", what, total, line.c_str());
}

int Run() {
  AvailabilityBench bench;
  if (!bench.Start()) return 1;
  const absl::Duration length = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  const int reps = absl::GetFlag(FLAGS_repetitions);
  std::map<std::string, std::vector<Sample>> samples;
  for (int rep = 0; rep < reps; ++rep) {
    std::fprintf(stderr, "phase health %d\n", rep + 1);
    samples["health"].push_back(bench.Health(length));
    std::fprintf(stderr, "phase warm1 %d\n", rep + 1);
    samples["warm1"].push_back(bench.Availability(length, 1));
    std::fprintf(stderr, "phase warm20 %d\n", rep + 1);
    samples["warm20"].push_back(bench.Availability(length, kSessions));
    bench.StopRedis();
    std::fprintf(stderr, "phase down1 %d\n", rep + 1);
    samples["down1"].push_back(bench.Availability(length, 1));
    std::fprintf(stderr, "phase down20 %d\n", rep + 1);
    samples["down20"].push_back(bench.Availability(length, kSessions));
    if (!bench.StartRedis()) return 1;
    std::fprintf(stderr, "repetition %d/%d done\n", rep + 1, reps);
  }
  auto rates = [&](const std::string& name, double scale = 1) {
    std::vector<double> out;
    for (const Sample& s : samples[name]) {
      out.push_back(s.calls_per_second * scale);
    }
    return out;
  };
  auto median = [&](const std::string& name, double scale = 1) {
    return Summarise(rates(name, scale)).median;
  };
  std::printf(
      "availability: engine=%s replicas=%d, %d calls in flight, cache TTL "
      "%s, %d repetitions of %.0f s, interleaved; median [min, max]\n",
      absl::GetFlag(FLAGS_engine).c_str(), absl::GetFlag(FLAGS_replicas),
      absl::GetFlag(FLAGS_in_flight),
      absl::FormatDuration(absl::GetFlag(FLAGS_ttl)).c_str(), reps,
      absl::ToDoubleSeconds(length));
  std::printf(
      "  work: per case, calls kept in flight from one client, 4 "
      "connections per replica, call i to connection i %% %zu; 1 session "
      "per call: session i %% %d; 20 per call: all %d; Redis down: stopped "
      "for both such cases, then restarted and the cache warmed\n",
      static_cast<size_t>(4 * absl::GetFlag(FLAGS_replicas)), kSessions,
      kSessions);
  Print("health Check (trivial RPC)", rates("health"), "calls/s");
  Print("1 session per call, cache warm", rates("warm1"), "calls/s");
  Print("20 sessions per call, cache warm", rates("warm20"), "calls/s");
  Print("  as sessions", rates("warm20", kSessions), "sessions/s");
  Print("1 session per call, Redis down", rates("down1"), "calls/s");
  Print("20 sessions per call, Redis down", rates("down20"), "calls/s");
  Print("  as sessions", rates("down20", kSessions), "sessions/s");
  for (const char* name : {"warm1", "warm20"}) {
    std::vector<double> shares;
    for (const Sample& s : samples[name]) {
      if (s.hit_share >= 0) shares.push_back(100 * s.hit_share);
    }
    Print(absl::StrCat("cache hits, ", name).c_str(), shares, "%");
  }
  std::printf("  CPU per call by process (median over repetitions):\n");
  for (const char* name : {"health", "warm1", "warm20", "down1", "down20"}) {
    PrintCpu(name, samples[name]);
  }
  const double health = median("health");
  std::printf("  1-session warm / health Check: %.2f (goal >= 0.80)\n",
              median("warm1") / health);
  std::printf("  1-session warm / Redis down: %.2f (goal > 1)\n",
              median("warm1") / median("down1"));
  std::printf("  20-session warm / Redis down: %.2f (goal > 1)\n",
              median("warm20") / median("down20"));
  std::printf(
      "  sessions/s, 20 per call / 1 per call (warm): %.2f (goal >= 5)\n",
      median("warm20", kSessions) / median("warm1"));
  std::printf("  failed calls: %lld\n", static_cast<long long>(bench.failed()));
  return bench.failed() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace training::bench

int main(int argc, char** argv) {
  training::config::ParseFlagsOrExit(
      argc, argv, "availability: how cheaply booking answers availability.");
  const std::string engine = absl::GetFlag(FLAGS_engine);
  if (engine != "sqlite" && engine != "postgres") {
    std::fprintf(stderr, "--engine must be sqlite or postgres\n");
    return 2;
  }
  if (engine == "sqlite" && absl::GetFlag(FLAGS_replicas) != 1) {
    std::fprintf(stderr, "--replicas above 1 needs --engine=postgres\n");
    return 2;
  }
  return training::bench::Run();
}
