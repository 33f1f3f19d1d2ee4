#ifndef TRAINING_COMMON_METRICS_METRICS_H_
#define TRAINING_COMMON_METRICS_METRICS_H_

// A small Prometheus registry: counter and histogram families with labels,
// and gauges read through callbacks, rendered in the text exposition format
// (version 0.0.4). Thread-safe. Label values must not hold personal data.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace training::metrics {

// A family of counters sharing a name, told apart by label values.
class CounterFamily {
 public:
  CounterFamily(std::string name, std::string help,
                std::vector<std::string> label_names);
  // Adds `delta` (≥ 0) to the counter with these label values (one per
  // label name, in order).
  void Add(const std::vector<std::string>& label_values, double delta = 1);
  // The counter's value; 0 when never touched.
  double Value(const std::vector<std::string>& label_values) const;
  void Render(std::string* out) const;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, double> values_ ABSL_GUARDED_BY(mu_);
};

// A family of histograms with fixed upper bounds.
class HistogramFamily {
 public:
  HistogramFamily(std::string name, std::string help,
                  std::vector<std::string> label_names,
                  std::vector<double> bounds);
  void Observe(const std::vector<std::string>& label_values, double value);
  // Observations recorded with these label values.
  uint64_t Count(const std::vector<std::string>& label_values) const;
  void Render(std::string* out) const;

 private:
  struct Series {
    std::vector<uint64_t> buckets;  // per bound, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, Series> series_ ABSL_GUARDED_BY(mu_);
};

// Latency buckets in seconds, 0.5 ms to 10 s.
std::vector<double> LatencyBuckets();

// Families registered by name; a name is registered once and later calls
// return the same family.
class Registry {
 public:
  CounterFamily& Counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names = {});
  HistogramFamily& Histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names,
                             std::vector<double> bounds = LatencyBuckets());
  // A gauge whose value is read when rendering.
  void Gauge(const std::string& name, const std::string& help,
             std::function<double()> read);
  // Adds process_cpu_seconds_total, process_resident_memory_bytes,
  // process_open_fds and process_start_time_seconds, read from /proc.
  void AddProcessMetrics();

  // Everything, in the Prometheus text format.
  std::string Render() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<CounterFamily>> counters_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<HistogramFamily>> histograms_
      ABSL_GUARDED_BY(mu_);
  struct GaugeEntry {
    std::string help;
    std::function<double()> read;
  };
  std::map<std::string, GaugeEntry> gauges_ ABSL_GUARDED_BY(mu_);
};

// The process-wide registry that the runtime and services share.
Registry& DefaultRegistry();

}  // namespace training::metrics

#endif  // TRAINING_COMMON_METRICS_METRICS_H_
