#ifndef TRAINING_BENCH_PEAK_MEMORY_H_
#define TRAINING_BENCH_PEAK_MEMORY_H_

// The peak resident memory of the processes a benchmark starts (the
// services, Redis), by program name, for the manifests' memory requests
// and limits (deploy/README.md). A thread reads each child's VmHWM from
// /proc every 250 ms while the benchmark runs, so a process's peak is
// seen up to its last sample before it exits.

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace training::bench {

class PeakMemoryWatch {
 public:
  PeakMemoryWatch();
  // Stops watching and prints "peak resident memory (VmHWM): …".
  ~PeakMemoryWatch();
  PeakMemoryWatch(const PeakMemoryWatch&) = delete;
  PeakMemoryWatch& operator=(const PeakMemoryWatch&) = delete;

  // The largest VmHWM seen per program name, in KiB.
  std::map<std::string, int64_t> PeaksKiB() const;

 private:
  void Sample();

  mutable absl::Mutex mu_;
  std::map<std::string, int64_t> peaks_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace training::bench

#endif  // TRAINING_BENCH_PEAK_MEMORY_H_
