#ifndef TRAINING_COMMON_METRICS_METRICS_SERVER_H_
#define TRAINING_COMMON_METRICS_METRICS_SERVER_H_

// Serves a registry at GET /metrics (prometheus-cpp's pull exposer, on its
// own threads). Stops in the destructor.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"

namespace prometheus {
class Exposer;
}

namespace training::metrics {

class MetricsServer {
 public:
  // Listens on `host`:`port` (0 picks a free port). UNAVAILABLE when the
  // address cannot be bound. `registry` must outlive the server.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& host, int port, const Registry* registry);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound port.
  int port() const { return port_; }

 private:
  MetricsServer() = default;

  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace training::metrics

#endif  // TRAINING_COMMON_METRICS_METRICS_SERVER_H_
