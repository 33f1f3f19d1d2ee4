#include "common/metrics/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace training::metrics {
namespace {

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Labels(const std::vector<std::string>& names,
                   const std::vector<std::string>& values,
                   const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"",
                    EscapeLabel(values[i]), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra);
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

std::string FormatDouble(double v) {
  std::ostringstream s;
  s.precision(15);
  s << v;
  return s.str();
}

void Header(std::string* out, const std::string& name, const std::string& help,
            const char* type) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type,
                  "\n");
}

}  // namespace

CounterFamily::CounterFamily(std::string name, std::string help,
                             std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)) {}

void CounterFamily::Add(const std::vector<std::string>& label_values,
                        double delta) {
  absl::MutexLock lock(&mu_);
  values_[label_values] += delta;
}

double CounterFamily::Value(
    const std::vector<std::string>& label_values) const {
  absl::MutexLock lock(&mu_);
  auto it = values_.find(label_values);
  return it == values_.end() ? 0 : it->second;
}

void CounterFamily::Render(std::string* out) const {
  Header(out, name_, help_, "counter");
  absl::MutexLock lock(&mu_);
  for (const auto& [labels, value] : values_) {
    absl::StrAppend(out, name_, Labels(label_names_, labels), " ",
                    FormatDouble(value), "\n");
  }
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

void HistogramFamily::Observe(const std::vector<std::string>& label_values,
                              double value) {
  absl::MutexLock lock(&mu_);
  Series& s = series_[label_values];
  if (s.buckets.empty()) s.buckets.assign(bounds_.size(), 0);
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) {
      ++s.buckets[i];
      break;
    }
  }
  ++s.count;
  s.sum += value;
}

uint64_t HistogramFamily::Count(
    const std::vector<std::string>& label_values) const {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(label_values);
  return it == series_.end() ? 0 : it->second.count;
}

void HistogramFamily::Render(std::string* out) const {
  Header(out, name_, help_, "histogram");
  absl::MutexLock lock(&mu_);
  for (const auto& [labels, s] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += s.buckets[i];
      absl::StrAppend(
          out, name_, "_bucket",
          Labels(label_names_, labels,
                 absl::StrCat("le=\"", FormatDouble(bounds_[i]), "\"")),
          " ", cumulative, "\n");
    }
    absl::StrAppend(out, name_, "_bucket",
                    Labels(label_names_, labels, "le=\"+Inf\""), " ", s.count,
                    "\n");
    absl::StrAppend(out, name_, "_sum", Labels(label_names_, labels), " ",
                    FormatDouble(s.sum), "\n");
    absl::StrAppend(out, name_, "_count", Labels(label_names_, labels), " ",
                    s.count, "\n");
  }
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
}

CounterFamily& Registry::Counter(const std::string& name,
                                 const std::string& help,
                                 std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  auto& slot = counters_[name];
  if (!slot) {
    slot = std::make_unique<CounterFamily>(name, help, std::move(label_names));
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
    slot = std::make_unique<HistogramFamily>(name, help, std::move(label_names),
                                             std::move(bounds));
  }
  return *slot;
}

void Registry::Gauge(const std::string& name, const std::string& help,
                     std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  gauges_[name] = GaugeEntry{help, std::move(read)};
}

void Registry::AddProcessMetrics() {
  const double start = absl::ToUnixMicros(absl::Now()) / 1e6;
  Gauge("process_start_time_seconds",
        "Start time of the process since the Unix epoch in seconds.",
        [start] { return start; });
  Gauge("process_cpu_seconds_total",
        "Total user and system CPU time spent in seconds.", [] {
          std::ifstream stat("/proc/self/stat");
          std::string content((std::istreambuf_iterator<char>(stat)), {});
          // Fields after the parenthesised command name; utime and stime
          // are the 14th and 15th fields overall.
          size_t close = content.rfind(')');
          if (close == std::string::npos) return 0.0;
          std::vector<std::string> fields =
              absl::StrSplit(content.substr(close + 2), ' ');
          if (fields.size() < 13) return 0.0;
          const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
          return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
        });
  Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", [] {
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    return static_cast<double>(resident) *
           static_cast<double>(sysconf(_SC_PAGESIZE));
  });
  Gauge("process_open_fds", "Number of open file descriptors.", [] {
    int count = 0;
    if (DIR* dir = opendir("/proc/self/fd")) {
      while (readdir(dir) != nullptr) ++count;
      closedir(dir);
    }
    return static_cast<double>(count > 2 ? count - 3 : 0);  // ., .., dir fd
  });
}

std::string Registry::Render() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, family] : counters_) family->Render(&out);
  for (const auto& [name, family] : histograms_) family->Render(&out);
  for (const auto& [name, gauge] : gauges_) {
    Header(&out, name, gauge.help, "gauge");
    absl::StrAppend(&out, name, " ", FormatDouble(gauge.read()), "\n");
  }
  return out;
}

Registry& DefaultRegistry() {
  static Registry* registry = new Registry;
  return *registry;
}

}  // namespace training::metrics
