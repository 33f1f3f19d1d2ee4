// Flash-crowd benchmark: N clients race for M places on one session through
// gRPC, again and again on fresh sessions, against real catalogue and
// booking processes (SQLite with one replica, or PostgreSQL with one or
// two), with baselines measured in the same run, interleaved:
//
//   flash_crowd [--engine=sqlite|postgres] [--replicas=1] [--clients=2000]
//               [--places=100] [--seconds=10] [--repetitions=5]
//
// Per repetition, each for --seconds:
//   1. bookings: rounds of N concurrent CreateBooking calls for one session
//      (all N in flight at once; the next round starts when the last
//      answer arrives); bookings/s, latency p50/p99/p999, mean batch size
//      (from booking's /metrics), and per session the confirmed and waiting
//      counts read from the database, which must be M and N-M;
//   2. trivial RPC: grpc.health.v1 Check, N in flight, same client;
//   3. raw commits: one locked row updated per transaction on the same
//      engine and durability, best of 1, 8 and 64 client threads.
// PostgreSQL comes from TRAINING_BENCH_POSTGRES_URL or
// TRAINING_TEST_POSTGRES_URL; Redis is started by the benchmark
// (suite_under_test.h). Availability reads have their own benchmark
// (availability.cc).

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "bench/peak_memory.h"
#include "bench/suite_under_test.h"
#include "common/config/flags.h"
#include "common/sql/database.h"
#include "common/sql/testing/test_databases.h"
#include "training/booking/v1/booking_service.grpc.pb.h"

ABSL_FLAG(std::string, engine, "sqlite", "sqlite or postgres.");
ABSL_FLAG(int, replicas, 1, "Booking processes (PostgreSQL only for >1).");
ABSL_FLAG(int, clients, 2000, "Concurrent clients per session (N).");
ABSL_FLAG(int, places, 100, "Places per session (M).");
ABSL_FLAG(double, seconds, 10, "Length of each measured run.");
ABSL_FLAG(int, repetitions, 5, "Interleaved repetitions of every case.");
ABSL_FLAG(std::string, request_ids, "v7",
          "UUID version of the request ids: v7 (time-ordered, as README "
          "recommends) or v4 (random).");

namespace training::bench {
namespace {

namespace booking = training::booking::v1;

class Bench {
 public:
  bool Start() {
    if (!suite_.Start({.engine = absl::GetFlag(FLAGS_engine),
                       .replicas = absl::GetFlag(FLAGS_replicas),
                       .places = absl::GetFlag(FLAGS_places),
                       .booking_flags = {"--worker_threads=256",
                                         "--max_queued_calls=20000",
                                         "--max_pending_bookings=20000",
                                         "--availability_ttl=2s"}})) {
      return false;
    }
    auto raw = sql::testing::NewTestDatabaseUrl(
        absl::GetFlag(FLAGS_engine) == "postgres" ? sql::Engine::kPostgres
                                                  : sql::Engine::kSqlite);
    if (!raw.ok()) return false;
    auto raw_db = sql::Database::Open(
        *raw + (absl::GetFlag(FLAGS_engine) == "postgres"
                    ? "?pool_size=64&acquire_timeout_ms=600000"
                    : "?acquire_timeout_ms=600000"));
    if (!raw_db.ok() || !PrepareCommitTable(**raw_db).ok()) return false;
    raw_db_ = *std::move(raw_db);
    return true;
  }

  // --- 1. bookings ---------------------------------------------------------

  struct FlashResult {
    double bookings_per_second = 0;
    double p50_ms = 0, p99_ms = 0, p999_ms = 0;
    double mean_batch = 0;
    double mean_commit_ms = 0;
    int sessions = 0;
    int wrong_sessions = 0;  // confirmed != M or waiting != N-M
    int errors = 0;
    int retries = 0;
  };

  // One CreateBooking call of a round.
  struct Call {
    booking::CreateBookingRequest request;
    booking::Booking reply;
    std::unique_ptr<grpc::ClientContext> context;
    absl::Time start;
    int stub_index = 0;  // which of suite_.booking_stubs() carries it
  };
  using Calls = std::vector<std::unique_ptr<Call>>;

  // Sessions made by a background thread, a few rounds ahead, each known
  // to every replica before it is handed out: creating sessions and
  // teaching them to the replicas (tens of milliseconds a batch, now and
  // then far more) is not booking work, so it stays out of the measured
  // time.
  class SessionSupply {
   public:
    explicit SessionSupply(Bench* bench)
        : thread_([this, bench] {
            while (true) {
              {
                absl::MutexLock lock(&mu_);
                mu_.Await(absl::Condition(
                    +[](SessionSupply* s)
                         ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
                           return s->stopping_ || s->ready_.size() < kAhead;
                         },
                    this));
                if (stopping_) return;
              }
              std::vector<std::string> made = bench->suite_.NewSessions(kAhead);
              absl::MutexLock lock(&mu_);
              ready_.insert(ready_.end(), made.begin(), made.end());
              if (made.empty()) {
                failed_ = true;  // Next() reports it; no retrying in a loop
                return;
              }
            }
          }) {}
    ~SessionSupply() {
      {
        absl::MutexLock lock(&mu_);
        stopping_ = true;
      }
      thread_.join();
    }
    // The next session; empty if the catalogue refused to make any.
    std::string Next() {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](SessionSupply* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return s->failed_ || !s->ready_.empty();
          },
          this));
      if (ready_.empty()) return "";
      std::string next = std::move(ready_.front());
      ready_.pop_front();
      return next;
    }

   private:
    static constexpr size_t kAhead = 16;
    absl::Mutex mu_;
    std::deque<std::string> ready_ ABSL_GUARDED_BY(mu_);
    bool stopping_ ABSL_GUARDED_BY(mu_) = false;
    bool failed_ ABSL_GUARDED_BY(mu_) = false;
    std::thread thread_;  // last: started once the fields above exist
  };

  FlashResult Flash(absl::Duration length) {
    const int n = absl::GetFlag(FLAGS_clients);
    FlashResult result;
    SessionSupply supply(this);
    std::string session = supply.Next();
    Calls calls = Prepare(session, n);
    const auto [sum_before, count_before] = BatchTotals();
    const auto [ms_before, commits_before] =
        BatchTotals("training_booking_batch_commit_seconds");
    std::vector<double> latencies;
    std::vector<std::string> used;
    const absl::Time start = absl::Now();
    // Rounds: all N calls for one session in flight at once; the next
    // session opens when the last answer arrives. (Letting each client
    // move on as soon as it has its answer spreads the crowd over many
    // sessions: batches of 40 instead of 200.)
    while (!session.empty() && absl::Now() - start < length) {
      used.push_back(session);
      // The next round is made while this one races, as many clients
      // would have their forms ready.
      std::string next_session;
      Calls next;
      Race(calls, latencies, result, [&] {
        next_session = supply.Next();
        if (!next_session.empty()) next = Prepare(next_session, n);
      });
      session = std::move(next_session);
      calls = std::move(next);
    }
    const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
    const auto [sum_after, count_after] = BatchTotals();
    const auto [ms_after, commits_after] =
        BatchTotals("training_booking_batch_commit_seconds");
    result.mean_commit_ms =
        commits_after > commits_before
            ? 1000 * (ms_after - ms_before) / (commits_after - commits_before)
            : 0;
    result.bookings_per_second = static_cast<double>(n) * used.size() / elapsed;
    result.p50_ms = Quantile(latencies, 0.5);
    result.p99_ms = Quantile(latencies, 0.99);
    result.p999_ms = Quantile(latencies, 0.999);
    result.mean_batch =
        count_after > count_before
            ? (sum_after - sum_before) / (count_after - count_before)
            : 0;
    result.sessions = static_cast<int>(used.size());
    if (used.empty()) ++result.errors;  // no session could be made
    result.wrong_sessions = CountWrongSessions(used, n);
    return result;
  }

  // N CreateBooking calls for `session`, by N different people.
  Calls Prepare(const std::string& session, int n) {
    Calls calls(n);
    for (int i = 0; i < n; ++i) {
      auto call = std::make_unique<Call>();
      call->request.set_request_id(NewRequestId());
      call->request.mutable_booking()->set_session(session);
      auto* a = call->request.mutable_booking()->mutable_attendee();
      a->set_display_name(absl::StrCat("Person ", i));
      a->set_email(absl::StrCat("p", i, "@nhs.example"));
      a->set_organisation("Northshire NHS Trust");
      a->set_agency_type(training::type::v1::HEALTH);
      a->set_job_role("Health visitor");
      a->set_consent_given(true);
      call->stub_index = i % suite_.booking_stubs().size();
      calls[i] = std::move(call);
    }
    return calls;
  }

  // Puts every call in flight at once, runs `meanwhile`, and returns when
  // every call has its final answer (retried with the same request id
  // while the answer is a transient refusal).
  void Race(Calls& calls, std::vector<double>& latencies, FlashResult& result,
            const std::function<void()>& meanwhile) {
    absl::Mutex mu;
    int remaining = static_cast<int>(calls.size());
    std::function<void(Call*)> issue;
    issue = [&](Call* call) {
      call->context = Context();
      suite_.booking_stubs()[call->stub_index]->async()->CreateBooking(
          call->context.get(), &call->request, &call->reply,
          [&, call](grpc::Status status) {
            if (Retryable(status)) {
              absl::MutexLock lock(&mu);
              ++result.retries;
              call->stub_index =
                  (call->stub_index + 1) % suite_.booking_stubs().size();
              issue(call);
              return;
            }
            absl::MutexLock lock(&mu);
            if (!status.ok()) ++result.errors;
            latencies.push_back(
                absl::ToDoubleMilliseconds(absl::Now() - call->start));
            --remaining;
          });
    };
    for (auto& call : calls) {
      call->start = absl::Now();
      issue(call.get());
    }
    meanwhile();
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* left) { return *left == 0; }, &remaining));
  }

  // A request id as clients make them: version 7 (RFC 9562: 48 bits of
  // Unix milliseconds, then random) sorts by time, so a batch's entries
  // land together in the request-id index; version 4 is all random.
  std::string NewRequestId() {
    const bool v7 = absl::GetFlag(FLAGS_request_ids) == "v7";
    const uint64_t ms = absl::ToUnixMillis(absl::Now());
    return absl::StrFormat(
        "%08x-%04x-%x%03x-%04x-%012x",
        v7 ? ms >> 16 : absl::Uniform<uint32_t>(bitgen_),
        v7 ? ms & 0xffff : absl::Uniform<uint32_t>(bitgen_) & 0xffff,
        v7 ? 7 : 4, absl::Uniform<uint32_t>(bitgen_) & 0xfff,
        0x8000 | (absl::Uniform<uint32_t>(bitgen_) & 0x3fff),
        absl::Uniform<uint64_t>(bitgen_) & 0xffffffffffffULL);
  }

  // --- 2. trivial RPC ------------------------------------------------------

  double HealthRate(absl::Duration length) {
    return ClosedLoop(
        absl::GetFlag(FLAGS_clients), length,
        [&](int i, std::function<void(bool)> done) {
          struct Call {
            grpc::health::v1::HealthCheckRequest request;
            grpc::health::v1::HealthCheckResponse reply;
            std::unique_ptr<grpc::ClientContext> context = Context();
          };
          auto call = std::make_shared<Call>();
          suite_.health_stubs()[i % suite_.health_stubs().size()]
              ->async()
              ->Check(call->context.get(), &call->request, &call->reply,
                      [call, done](grpc::Status s) { done(s.ok()); });
        });
  }

  // --- 3. raw commits ------------------------------------------------------

  double BestRawCommitRate(absl::Duration length) {
    double best = 0;
    for (int clients : {1, 8, 64}) {
      best = std::max(best, LockedUpdateRate(*raw_db_, clients, 1, length));
    }
    return best;
  }

 private:
  std::pair<double, double> BatchTotals(
      const std::string& name = "training_booking_batch_size") {
    return suite_.HistogramTotals(name);
  }

  // Sessions whose confirmed and waiting counts, read from the database,
  // are not M and N-M.
  int CountWrongSessions(const std::vector<std::string>& sessions, int n) {
    const int m = absl::GetFlag(FLAGS_places);
    auto db = sql::Database::Open(suite_.booking_url());
    if (!db.ok()) return static_cast<int>(sessions.size());
    int wrong = 0;
    for (const std::string& session : sessions) {
      auto tx = (*db)->Begin(sql::TxMode::kRead);
      if (!tx.ok()) return static_cast<int>(sessions.size());
      auto rows = (*tx)->Query(
          "SELECT SUM(CASE WHEN state = 1 THEN 1 ELSE 0 END) AS confirmed, "
          "SUM(CASE WHEN state = 2 THEN 1 ELSE 0 END) AS waiting FROM "
          "bookings WHERE session = $1",
          {session});
      const int64_t confirmed =
          rows.ok() ? rows->GetInt64(0, "confirmed").value_or(-1) : -1;
      const int64_t waiting =
          rows.ok() ? rows->GetInt64(0, "waiting").value_or(-1) : -1;
      if (confirmed != m || waiting != n - m) ++wrong;
    }
    return wrong;
  }

  SuiteUnderTest suite_;
  absl::BitGen bitgen_;
  std::unique_ptr<sql::Database> raw_db_;
};

// Marks a phase's start on stderr, for profilers attached to one phase.
void Mark(const char* phase, int rep) {
  std::fprintf(stderr, "phase %s %d\n", phase, rep + 1);
}

void Print(const char* what, const std::vector<double>& samples,
           const char* unit) {
  const Stats s = Summarise(samples);
  std::printf("  %-34s %10.1f %-6s [%.1f, %.1f]\n", what, s.median, unit, s.low,
              s.high);
}

int Run() {
  Bench bench;
  if (!bench.Start()) return 1;
  const absl::Duration length = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  const int reps = absl::GetFlag(FLAGS_repetitions);
  std::map<std::string, std::vector<double>> samples;
  int wrong = 0, errors = 0, sessions = 0;
  for (int rep = 0; rep < reps; ++rep) {
    Mark("bookings", rep);
    const Bench::FlashResult flash = bench.Flash(length);
    samples["bookings"].push_back(flash.bookings_per_second);
    samples["p50"].push_back(flash.p50_ms);
    samples["p99"].push_back(flash.p99_ms);
    samples["p999"].push_back(flash.p999_ms);
    samples["batch"].push_back(flash.mean_batch);
    samples["commit"].push_back(flash.mean_commit_ms);
    samples["retries"].push_back(flash.retries);
    wrong += flash.wrong_sessions;
    errors += flash.errors;
    sessions += flash.sessions;
    Mark("health", rep);
    samples["health"].push_back(bench.HealthRate(length));
    Mark("raw", rep);
    samples["raw"].push_back(bench.BestRawCommitRate(length / 3));
    std::fprintf(stderr, "repetition %d/%d: %.0f bookings/s\n", rep + 1, reps,
                 flash.bookings_per_second);
  }
  std::printf(
      "flash_crowd: engine=%s replicas=%d clients(N)=%d places(M)=%d "
      "request_ids=%s, %d repetitions of %.0f s, interleaved; median [min, "
      "max]\n",
      absl::GetFlag(FLAGS_engine).c_str(), absl::GetFlag(FLAGS_replicas),
      absl::GetFlag(FLAGS_clients), absl::GetFlag(FLAGS_places),
      absl::GetFlag(FLAGS_request_ids).c_str(), reps,
      absl::ToDoubleSeconds(length));
  Print("bookings per second", samples["bookings"], "/s");
  Print("latency p50", samples["p50"], "ms");
  Print("latency p99", samples["p99"], "ms");
  Print("latency p999", samples["p999"], "ms");
  Print("mean batch size", samples["batch"], "");
  Print("mean batch decide+commit time", samples["commit"], "ms");
  Print("transient retries per run", samples["retries"], "");
  Print("health Check (trivial RPC)", samples["health"], "/s");
  Print("raw locked-update commits (best)", samples["raw"], "/s");
  const double bookings = Summarise(samples["bookings"]).median;
  std::printf(
      "  sessions checked: %d, with confirmed != M or waiting != N-M: "
      "%d; failed calls: %d\n",
      sessions, wrong, errors);
  std::printf("  bookings / trivial RPC: %.2f (goal >= 0.50)\n",
              bookings / Summarise(samples["health"]).median);
  std::printf("  bookings / raw commits: %.2f (goal on PostgreSQL >= 3)\n",
              bookings / Summarise(samples["raw"]).median);
  return wrong == 0 && errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace training::bench

int main(int argc, char** argv) {
  training::config::ParseFlagsOrExit(
      argc, argv, "flash_crowd: bookings per second under a flash crowd.");
  const std::string ids = absl::GetFlag(FLAGS_request_ids);
  if (ids != "v7" && ids != "v4") {
    std::fprintf(stderr, "--request_ids must be v7 or v4, not %s\n",
                 ids.c_str());
    return 2;
  }
  training::bench::PeakMemoryWatch memory;
  return training::bench::Run();
}
