#ifndef TRAINING_COMMON_METRICS_METRICS_H_
#define TRAINING_COMMON_METRICS_METRICS_H_

// The suite's metrics, over prometheus-cpp (Debian's prometheus-cpp-dev):
// counter and histogram families with labels given as ordered values, gauges
// read through callbacks at scrape time, and process metrics from /proc,
// which prometheus-cpp does not collect. Thread-safe. Label values must not
// hold personal data.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace training::metrics {

// A family of counters sharing a name, told apart by label values.
class CounterFamily {
 public:
  CounterFamily(prometheus::Family<prometheus::Counter>* family,
                std::vector<std::string> label_names);
  // Adds `delta` (≥ 0) to the counter with these label values (one per
  // label name, in order).
  void Add(const std::vector<std::string>& label_values, double delta = 1);
  // The counter's value; 0 when never touched.
  double Value(const std::vector<std::string>& label_values) const;
  // The counter with these label values, created at 0 if new; valid for
  // the family's life. For callers on a hot path that keep it.
  prometheus::Counter& Child(const std::vector<std::string>& label_values);

 private:
  prometheus::Family<prometheus::Counter>* family_;
  const std::vector<std::string> label_names_;
};

// A family of histograms with fixed upper bounds.
class HistogramFamily {
 public:
  HistogramFamily(prometheus::Family<prometheus::Histogram>* family,
                  std::vector<std::string> label_names,
                  std::vector<double> bounds);
  void Observe(const std::vector<std::string>& label_values, double value);
  // Observations recorded with these label values.
  uint64_t Count(const std::vector<std::string>& label_values) const;
  // The histogram with these label values (see CounterFamily::Child).
  prometheus::Histogram& Child(
      const std::vector<std::string>& label_values) const;

 private:
  prometheus::Family<prometheus::Histogram>* family_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
};

// Latency buckets in seconds, 0.5 ms to 10 s.
std::vector<double> LatencyBuckets();

// Families registered by name; a name is registered once and later calls
// return the same family.
class Registry {
 public:
  Registry();

  CounterFamily& Counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names = {});
  HistogramFamily& Histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names,
                             std::vector<double> bounds = LatencyBuckets());
  // A gauge whose value is read when scraped.
  void Gauge(const std::string& name, const std::string& help,
             std::function<double()> read);
  // Adds process_cpu_seconds_total, process_resident_memory_bytes,
  // process_open_fds and process_start_time_seconds, read from /proc.
  void AddProcessMetrics();

  // Everything, in the Prometheus text format.
  std::string Render() const;

  // What an exposer registers.
  std::vector<std::shared_ptr<prometheus::Collectable>> Collectables() const;

 private:
  class CallbackGauges;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<CallbackGauges> gauges_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<CounterFamily>> counters_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<HistogramFamily>> histograms_
      ABSL_GUARDED_BY(mu_);
};

// The process-wide registry that the runtime and services share.
Registry& DefaultRegistry();

}  // namespace training::metrics

#endif  // TRAINING_COMMON_METRICS_METRICS_H_
