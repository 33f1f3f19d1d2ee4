#ifndef TRAINING_BENCH_BENCH_SUPPORT_H_
#define TRAINING_BENCH_BENCH_SUPPORT_H_

// What the benchmarks share: summaries of repeated samples, environment
// look-ups, and the raw commit-rate baseline (one locked row updated per
// transaction) that booking throughput is compared with.

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/sql/database.h"

namespace training::bench {

// The first non-empty of two environment variables, or "".
std::string Env(const char* a, const char* b);

struct Stats {
  double median, low, high;
};
// Median, minimum and maximum; all zero for no samples.
Stats Summarise(std::vector<double> samples);

// The value at quantile q (0..1) of `values` (sorted in place).
double Quantile(std::vector<double>& values, double q);

// Creates the 100-row table LockedUpdateRate updates, and the outbox tables.
absl::Status PrepareCommitTable(sql::Database& db);

// Transactions per second for `length` with `clients` threads, each
// transaction locking one row and making `updates` single-row updates.
double LockedUpdateRate(sql::Database& db, int clients, int updates,
                        absl::Duration length);

// Calls `visit(pid, /proc/PID)` for every process on the machine.
void ForEachProcess(
    const std::function<void(int, const std::filesystem::path&)>& visit);

// CPU time (user + system) used so far by every process on the machine,
// by pid, with its command name (/proc/PID/comm: "training_bookin",
// "postgres", "redis-server" …; this process is named "client").
struct ProcessCpu {
  std::string name;
  absl::Duration time;
};
using CpuSample = std::map<int, ProcessCpu>;
CpuSample CpuNow();

// What the processes used between two samples, summed by name (kernel
// worker threads, whose names change with their work, as one).
using CpuByProcess = std::map<std::string, absl::Duration>;
CpuByProcess CpuUsed(const CpuSample& before, const CpuSample& after);

}  // namespace training::bench

#endif  // TRAINING_BENCH_BENCH_SUPPORT_H_
