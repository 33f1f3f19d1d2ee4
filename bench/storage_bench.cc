// Storage benchmark: what one database can commit, per engine, measured in
// one run with interleaved repetitions (median and range reported).
//
//   storage_bench [--seconds=10] [--repetitions=5] [--events=20000]
//
// Engines: SQLite (a temp file, synchronous=FULL, one writer connection per
// process) and PostgreSQL when TRAINING_BENCH_POSTGRES_URL (or
// TRAINING_TEST_POSTGRES_URL) names a server (synchronous_commit as the
// server has it, on by default). The outbox part needs Redis at
// TRAINING_BENCH_REDIS_URL (or TRAINING_TEST_REDIS_URL).
//
// 1. Locked-update commits: each transaction locks one row (QueryForUpdate)
//    and makes U updates (U = 1, 10, 100), with 1, 8 and 64 client threads.
//    The best single-update figure is what the booking benchmark compares
//    its bookings per second with.
// 2. Outbox -> consumer: events written 100 per transaction while a relay
//    and a consumer run; throughput and p99 of occur_time -> handled.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "common/config/flags.h"
#include "common/events/consumer.h"
#include "common/events/outbox.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "common/sql/testing/test_databases.h"
#include "common/status_macros.h"

ABSL_FLAG(double, seconds, 10, "Length of each measured run.");
ABSL_FLAG(int, repetitions, 5, "Interleaved repetitions of every case.");
ABSL_FLAG(int, events, 20000, "Events through the outbox per repetition.");

namespace {

using namespace training;

using bench::Env;
using bench::LockedUpdateRate;
using bench::Stats;
using bench::Summarise;

struct OutboxResult {
  double events_per_second;
  double p99_lag_ms;
};

absl::StatusOr<OutboxResult> OutboxThroughput(sql::Database& db,
                                              const std::string& redis_url,
                                              int count, int repetition) {
  ASSIGN_OR_RETURN(auto redis, redis::RedisClient::Create(redis_url));
  const std::string stream =
      absl::StrCat("bench.events.", getpid(), ".", repetition, ".",
                   static_cast<int>(db.engine()));
  std::mutex mu;
  std::vector<double> lags_ms;
  std::atomic<int> handled{0};
  events::StreamConsumer consumer(
      &db, redis.get(),
      {.stream = stream,
       .group = "bench",
       .consumer = "c",
       .batch_size = 500,
       .block = absl::Milliseconds(20)},
      [&](sql::Transaction&, const training::events::v1::Event& e) {
        const absl::Time occurred =
            absl::FromUnixSeconds(e.occur_time().seconds()) +
            absl::Nanoseconds(e.occur_time().nanos());
        std::lock_guard<std::mutex> lock(mu);
        lags_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - occurred));
        handled.fetch_add(1);
        return absl::OkStatus();
      });
  RETURN_IF_ERROR(consumer.EnsureGroup());
  events::OutboxRelay relay(
      &db, redis.get(),
      {.batch_size = 500, .poll_interval = absl::Milliseconds(5)});
  const absl::Time start = absl::Now();
  relay.Start();
  consumer.Start();
  for (int written = 0; written < count; written += 100) {
    RETURN_IF_ERROR(sql::RunInTransaction(
        db, sql::TxMode::kWrite, [&](sql::Transaction& tx) {
          for (int i = 0; i < 100; ++i) {
            training::events::v1::Event e;
            e.set_type("bench");
            e.set_source("bench");
            RETURN_IF_ERROR(events::WriteToOutbox(tx, stream, e));
          }
          return absl::OkStatus();
        }));
  }
  const absl::Time give_up = absl::Now() + absl::Minutes(5);
  while (handled.load() < count && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  relay.Stop();
  consumer.Stop();
  (void)redis->Command({"DEL", stream});
  if (handled.load() < count)
    return absl::DeadlineExceededError("outbox bench stalled");
  std::sort(lags_ms.begin(), lags_ms.end());
  return OutboxResult{count / seconds, lags_ms[lags_ms.size() * 99 / 100]};
}

}  // namespace

int main(int argc, char** argv) {
  config::ParseFlagsOrExit(argc, argv,
                           "storage_bench: commit rates per engine.");
  const absl::Duration length = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  const int reps = absl::GetFlag(FLAGS_repetitions);
  const std::string pg_url =
      Env("TRAINING_BENCH_POSTGRES_URL", "TRAINING_TEST_POSTGRES_URL");
  const std::string redis_url =
      Env("TRAINING_BENCH_REDIS_URL", "TRAINING_TEST_REDIS_URL");

  std::vector<std::pair<std::string, std::unique_ptr<sql::Database>>> engines;
  {
    auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kSqlite);
    auto db = sql::Database::Open(*url + "?acquire_timeout_ms=600000");
    if (!db.ok() || !bench::PrepareCommitTable(**db).ok()) return 1;
    engines.emplace_back("sqlite", *std::move(db));
  }
  if (!pg_url.empty()) {
    // The test helper makes a fresh database on the server it is pointed at.
    setenv("TRAINING_TEST_POSTGRES_URL", pg_url.c_str(), /*overwrite=*/0);
    auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
    auto db =
        url.ok() ? sql::Database::Open(
                       *url + "?pool_size=64&acquire_timeout_ms=600000")
                 : absl::StatusOr<std::unique_ptr<sql::Database>>(url.status());
    if (!db.ok() || !bench::PrepareCommitTable(**db).ok()) {
      std::fprintf(stderr, "postgres unavailable\n");
      return 1;
    }
    engines.emplace_back("postgres", *std::move(db));
  } else {
    std::printf("(PostgreSQL skipped: set TRAINING_BENCH_POSTGRES_URL)\n");
  }

  std::printf(
      "storage_bench: %d repetitions of %.1f s, interleaved; median [min, "
      "max]\n",
      reps, absl::ToDoubleSeconds(length));
  // case key -> samples
  std::map<std::string, std::vector<double>> samples;
  std::vector<std::string> order;
  for (int rep = 0; rep < reps; ++rep) {
    for (auto& [name, db] : engines) {
      for (int updates : {1, 10, 100}) {
        for (int clients : {1, 8, 64}) {
          const std::string key = absl::StrCat(name, "  updates/tx=", updates,
                                               "  clients=", clients);
          if (rep == 0) order.push_back(key);
          samples[key].push_back(
              LockedUpdateRate(*db, clients, updates, length));
        }
      }
      if (!redis_url.empty()) {
        auto result =
            OutboxThroughput(*db, redis_url, absl::GetFlag(FLAGS_events), rep);
        if (result.ok()) {
          const std::string key =
              absl::StrCat(name, "  outbox->consumer events/s");
          const std::string lag =
              absl::StrCat(name, "  outbox->consumer p99 lag ms");
          if (rep == 0) {
            order.push_back(key);
            order.push_back(lag);
          }
          samples[key].push_back(result->events_per_second);
          samples[lag].push_back(result->p99_lag_ms);
        } else {
          std::fprintf(stderr, "outbox bench: %s\n",
                       std::string(result.status().message()).c_str());
        }
      }
    }
  }
  for (const auto& key : order) {
    Stats s = Summarise(samples[key]);
    std::printf("%-48s %10.0f  [%.0f, %.0f]\n", key.c_str(), s.median, s.low,
                s.high);
  }
  for (auto& [name, db] : engines) {
    double best = 0;
    for (int clients : {1, 8, 64}) {
      best = std::max(
          best,
          Summarise(
              samples[absl::StrCat(name, "  updates/tx=1  clients=", clients)])
              .median);
    }
    std::printf("%s: best single-row locked-update commit rate %.0f/s\n",
                name.c_str(), best);
  }
  return 0;
}
