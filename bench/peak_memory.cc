#include "bench/peak_memory.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"

namespace training::bench {
namespace {

// "Name:", "PPid:" and "VmHWM:" of /proc/PID/status; false when the
// process is gone or is not ours.
bool ReadChild(const std::filesystem::path& dir, int parent, std::string* name,
               int64_t* hwm_kib) {
  std::ifstream in(dir / "status");
  std::string line;
  int ppid = -1;
  *hwm_kib = -1;
  while (std::getline(in, line)) {
    absl::string_view rest(line);
    if (absl::ConsumePrefix(&rest, "Name:")) {
      *name = std::string(absl::StripAsciiWhitespace(rest));
    } else if (absl::ConsumePrefix(&rest, "PPid:")) {
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &ppid))
        return false;
    } else if (absl::ConsumePrefix(&rest, "VmHWM:")) {
      std::vector<absl::string_view> parts = absl::StrSplit(
          absl::StripAsciiWhitespace(rest), ' ', absl::SkipEmpty());
      if (parts.empty() || !absl::SimpleAtoi(parts[0], hwm_kib)) return false;
    }
  }
  if (ppid != parent || *hwm_kib < 0) return false;
  // The whole program name (Name: is cut at 15 characters).
  std::ifstream cmdline(dir / "cmdline");
  std::string argv0;
  if (std::getline(cmdline, argv0, '\0') && !argv0.empty()) {
    // Redis rewrites its title ("redis-server 127.0.0.1:6379").
    *name = std::filesystem::path(argv0.substr(0, argv0.find(' ')))
                .filename()
                .string();
  }
  return true;
}

}  // namespace

PeakMemoryWatch::PeakMemoryWatch() {
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      Sample();
      absl::SleepFor(absl::Milliseconds(250));
    }
  });
}

PeakMemoryWatch::~PeakMemoryWatch() {
  stop_.store(true);
  thread_.join();
  std::printf("\npeak resident memory (VmHWM) of the processes started:");
  for (const auto& [name, kib] : PeaksKiB()) {
    std::printf(" %s %.0f MiB;", name.c_str(), kib / 1024.0);
  }
  std::printf("\n");
}

std::map<std::string, int64_t> PeakMemoryWatch::PeaksKiB() const {
  absl::MutexLock lock(&mu_);
  return peaks_;
}

void PeakMemoryWatch::Sample() {
  const int self = getpid();
  ForEachProcess([&](int, const std::filesystem::path& dir) {
    std::string name;
    int64_t hwm = 0;
    if (!ReadChild(dir, self, &name, &hwm)) return;
    absl::MutexLock lock(&mu_);
    int64_t& peak = peaks_[name];
    if (hwm > peak) peak = hwm;
  });
}

}  // namespace training::bench
