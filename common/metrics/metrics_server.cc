#include "common/metrics/metrics_server.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"

namespace training::metrics {

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& host, int port, const Registry* registry) {
  std::unique_ptr<MetricsServer> server(new MetricsServer);
  // civetweb reports a failed bind by throwing; keep it inside this module.
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(
        absl::StrCat(host, ":", port), /*num_threads=*/1);
  } catch (const std::exception&) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on port ", port));
  }
  for (const auto& collectable : registry->Collectables()) {
    server->exposer_->RegisterCollectable(collectable);
  }
  std::vector<int> ports = server->exposer_->GetListeningPorts();
  if (ports.empty())
    return absl::UnavailableError("metrics: no listening port");
  server->port_ = ports.front();
  return server;
}

MetricsServer::~MetricsServer() = default;

}  // namespace training::metrics
