#ifndef TRAINING_COMMON_METRICS_METRICS_SERVER_H_
#define TRAINING_COMMON_METRICS_METRICS_SERVER_H_

// Serves a registry at GET /metrics over HTTP/1.1 on its own thread
// (Boost.Beast). Anything else gets 404. Thread-safe; stops in the
// destructor.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"

namespace training::metrics {

class MetricsServer {
 public:
  // Listens on `host`:`port` (0 picks a free port). UNAVAILABLE when the
  // address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& host, int port, const Registry* registry);

  virtual ~MetricsServer() = default;
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound port.
  virtual int port() const = 0;

 protected:
  MetricsServer() = default;
};

}  // namespace training::metrics

#endif  // TRAINING_COMMON_METRICS_METRICS_SERVER_H_
