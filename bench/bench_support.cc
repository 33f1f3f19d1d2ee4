#include "bench/bench_support.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/events/outbox.h"
#include "common/sql/migrations.h"
#include "common/status_macros.h"

namespace training::bench {

std::string Env(const char* a, const char* b) {
  for (const char* name : {a, b}) {
    if (const char* v = std::getenv(name); v && *v) return v;
  }
  return "";
}

Stats Summarise(std::vector<double> v) {
  if (v.empty()) return {0, 0, 0};
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

absl::Status PrepareCommitTable(sql::Database& db) {
  RETURN_IF_ERROR(sql::ApplyMigrations(
      db, "bench",
      {{1,
        "rows",
        {"CREATE TABLE bench_rows (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)",
         "CREATE TABLE bench_rows (id BIGINT PRIMARY KEY, v BIGINT NOT "
         "NULL)"}}}));
  RETURN_IF_ERROR(
      sql::ApplyMigrations(db, "events", events::EventMigrations()));
  return sql::RunInTransaction(
      db, sql::TxMode::kWrite, [](sql::Transaction& tx) {
        for (int64_t id = 1; id <= 100; ++id) {
          RETURN_IF_ERROR(
              tx.Execute("INSERT INTO bench_rows (id, v) VALUES ($1, 0) "
                         "ON CONFLICT (id) DO NOTHING",
                         {id})
                  .status());
        }
        return absl::OkStatus();
      });
}

// Transactions per second with `clients` threads, `updates` per transaction.
double LockedUpdateRate(sql::Database& db, int clients, int updates,
                        absl::Duration length) {
  std::atomic<int64_t> commits{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        absl::Status s = sql::RunInTransaction(
            db, sql::TxMode::kWrite,
            [updates](sql::Transaction& tx) -> absl::Status {
              RETURN_IF_ERROR(
                  tx.QueryForUpdate("SELECT v FROM bench_rows WHERE id = 1")
                      .status());
              for (int64_t u = 1; u <= updates; ++u) {
                RETURN_IF_ERROR(
                    tx.Execute("UPDATE bench_rows SET v = v + 1 WHERE id = $1",
                               {u})
                        .status());
              }
              return absl::OkStatus();
            },
            100);
        if (s.ok()) commits.fetch_add(1);
      }
    });
  }
  const absl::Time start = absl::Now();
  absl::SleepFor(length);
  stop = true;
  for (auto& t : threads) t.join();
  return commits.load() / absl::ToDoubleSeconds(absl::Now() - start);
}

double Quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t at =
      std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  return values[at];
}

void ForEachProcess(
    const std::function<void(int, const std::filesystem::path&)>& visit) {
  std::error_code ignored;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc", ignored)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    visit(pid, entry.path());
  }
}

CpuSample CpuNow() {
  CpuSample cpu;
  const double tick = 1.0 / sysconf(_SC_CLK_TCK);
  const int self = getpid();
  ForEachProcess([&](int pid, const std::filesystem::path& dir) {
    std::ifstream in(dir / "stat");
    std::stringstream text;
    text << in.rdbuf();
    // pid (comm) state ppid … : comm may hold spaces, so split after ')'.
    const std::string stat = text.str();
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos ||
        close + 2 > stat.size()) {
      return;
    }
    std::vector<std::string> fields =
        absl::StrSplit(stat.substr(close + 2), ' ');
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after comm.
    int64_t utime = 0, stime = 0;
    if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
        !absl::SimpleAtoi(fields[12], &stime)) {
      return;
    }
    cpu[pid] = {
        pid == self ? "client" : stat.substr(open + 1, close - open - 1),
        absl::Seconds(static_cast<double>(utime + stime) * tick)};
  });
  return cpu;
}

CpuByProcess CpuUsed(const CpuSample& before, const CpuSample& after) {
  CpuByProcess used;
  for (const auto& [pid, process] : after) {
    auto was = before.find(pid);
    // A process started meanwhile used all its time in between.
    const absl::Duration d =
        process.time -
        (was == before.end() ? absl::ZeroDuration() : was->second.time);
    if (d <= absl::ZeroDuration()) continue;
    used[absl::StartsWith(process.name, "kworker") ? "kernel workers"
                                                   : process.name] += d;
  }
  return used;
}

}  // namespace training::bench
