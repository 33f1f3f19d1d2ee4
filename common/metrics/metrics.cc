#include "common/metrics/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "prometheus/collectable.h"
#include "prometheus/text_serializer.h"

namespace training::metrics {
namespace {

prometheus::Labels ToLabels(const std::vector<std::string>& names,
                            const std::vector<std::string>& values) {
  prometheus::Labels labels;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    labels[names[i]] = values[i];
  }
  return labels;
}

double ProcessCpuSeconds() {
  std::ifstream stat("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), {});
  // Fields after the parenthesised command name; utime and stime are the
  // 14th and 15th fields overall.
  size_t close = content.rfind(')');
  if (close == std::string::npos || close + 2 > content.size()) return 0;
  std::vector<std::string> fields =
      absl::StrSplit(content.substr(close + 2), ' ');
  if (fields.size() < 13) return 0;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
}

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) *
         static_cast<double>(sysconf(_SC_PAGESIZE));
}

double OpenFds() {
  int count = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr) ++count;
    closedir(dir);
  }
  return static_cast<double>(count > 3 ? count - 3 : 0);  // ., .., dir fd
}

}  // namespace

// Gauges computed at scrape time (prometheus-cpp's gauges hold set values).
class Registry::CallbackGauges final : public prometheus::Collectable {
 public:
  void Add(std::string name, std::string help, std::function<double()> read) {
    absl::MutexLock lock(&mu_);
    gauges_[name] = {std::move(help), std::move(read)};
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    absl::MutexLock lock(&mu_);
    std::vector<prometheus::MetricFamily> out;
    for (const auto& [name, gauge] : gauges_) {
      prometheus::MetricFamily family;
      family.name = name;
      family.help = gauge.help;
      family.type = prometheus::MetricType::Gauge;
      prometheus::ClientMetric metric;
      metric.gauge.value = gauge.read();
      family.metric.push_back(std::move(metric));
      out.push_back(std::move(family));
    }
    return out;
  }

 private:
  struct Entry {
    std::string help;
    std::function<double()> read;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> gauges_ ABSL_GUARDED_BY(mu_);
};

CounterFamily::CounterFamily(prometheus::Family<prometheus::Counter>* family,
                             std::vector<std::string> label_names)
    : family_(family), label_names_(std::move(label_names)) {}

void CounterFamily::Add(const std::vector<std::string>& label_values,
                        double delta) {
  family_->Add(ToLabels(label_names_, label_values)).Increment(delta);
}

prometheus::Counter& CounterFamily::Child(
    const std::vector<std::string>& label_values) {
  return family_->Add(ToLabels(label_names_, label_values));
}

double CounterFamily::Value(
    const std::vector<std::string>& label_values) const {
  return family_->Add(ToLabels(label_names_, label_values)).Value();
}

HistogramFamily::HistogramFamily(
    prometheus::Family<prometheus::Histogram>* family,
    std::vector<std::string> label_names, std::vector<double> bounds)
    : family_(family),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

prometheus::Histogram& HistogramFamily::Child(
    const std::vector<std::string>& label_values) const {
  return family_->Add(ToLabels(label_names_, label_values),
                      prometheus::Histogram::BucketBoundaries(bounds_));
}

void HistogramFamily::Observe(const std::vector<std::string>& label_values,
                              double value) {
  Child(label_values).Observe(value);
}

uint64_t HistogramFamily::Count(
    const std::vector<std::string>& label_values) const {
  return Child(label_values).Collect().histogram.sample_count;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
}

Registry::Registry()
    : registry_(std::make_shared<prometheus::Registry>()),
      gauges_(std::make_shared<CallbackGauges>()) {}

CounterFamily& Registry::Counter(const std::string& name,
                                 const std::string& help,
                                 std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  auto& slot = counters_[name];
  if (!slot) {
    auto& family =
        prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
    slot = std::make_unique<CounterFamily>(&family, std::move(label_names));
  }
  return *slot;
}

HistogramFamily& Registry::Histogram(const std::string& name,
                                     const std::string& help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  auto& slot = histograms_[name];
  if (!slot) {
    auto& family =
        prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
    slot = std::make_unique<HistogramFamily>(&family, std::move(label_names),
                                             std::move(bounds));
  }
  return *slot;
}

void Registry::Gauge(const std::string& name, const std::string& help,
                     std::function<double()> read) {
  gauges_->Add(name, help, std::move(read));
}

void Registry::AddProcessMetrics() {
  const double start = absl::ToUnixMicros(absl::Now()) / 1e6;
  Gauge("process_start_time_seconds",
        "Start time of the process since the Unix epoch in seconds.",
        [start] { return start; });
  Gauge("process_cpu_seconds_total",
        "Total user and system CPU time spent in seconds.", ProcessCpuSeconds);
  Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
        ResidentBytes);
  Gauge("process_open_fds", "Number of open file descriptors.", OpenFds);
}

std::vector<std::shared_ptr<prometheus::Collectable>> Registry::Collectables()
    const {
  return {registry_, gauges_};
}

std::string Registry::Render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (auto& family : gauges_->Collect()) families.push_back(std::move(family));
  return prometheus::TextSerializer().Serialize(families);
}

Registry& DefaultRegistry() {
  static Registry* registry = new Registry;
  return *registry;
}

}  // namespace training::metrics
