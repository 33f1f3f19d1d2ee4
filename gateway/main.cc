// training_gateway: the suite's HTTP front door. At this stage it serves
// /healthz (the process is alive) and /readyz (every backend reports
// SERVING and no shutdown is under way); REST transcoding comes later.

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/flags.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/metrics/metrics_server.h"
#include "common/runtime/tls.h"
#include "gateway/backend_health.h"
#include "gateway/http_server.h"

ABSL_FLAG(std::string, host, "127.0.0.1",
          "Address to listen on (0.0.0.0 in containers).");
ABSL_FLAG(int, http_port, 8080, "HTTP port; 0 picks a free one.");
ABSL_FLAG(int, metrics_port, 9105, "Prometheus metrics port; 0 picks one.");
ABSL_FLAG(std::string, port_file, "",
          "If set, the bound HTTP port is written here once serving.");
ABSL_FLAG(std::string, metrics_port_file, "",
          "If set, the bound metrics port is written to this file.");
ABSL_FLAG(int, http_threads, 2, "HTTP I/O threads.");
ABSL_FLAG(std::string, catalogue_address, "127.0.0.1:7051",
          "Catalogue service gRPC address.");
ABSL_FLAG(std::string, booking_address, "127.0.0.1:7052",
          "Booking service gRPC address.");
ABSL_FLAG(std::string, notification_address, "127.0.0.1:7053",
          "Notification service gRPC address.");
ABSL_FLAG(std::string, content_address, "127.0.0.1:7054",
          "Content service gRPC address.");
ABSL_FLAG(absl::Duration, readiness_interval, absl::Seconds(1),
          "How often backends' health is checked.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "After SIGTERM, how long /readyz answers 503 while requests are "
          "still served.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(std::string, service_key, "",
          "The gateway's own API key (it forwards callers' credentials and "
          "asserts no identity of its own).");

namespace {

using training::gateway::HttpRequest;
using training::gateway::HttpResponse;
namespace log = training::log;

std::string JsonError(int http_status, const char* status,
                      const char* message) {
  return absl::StrCat(R"({"error":{"code":)", http_status, R"(,"status":")",
                      status, R"(","message":")", message, R"("}})");
}

void WritePortFile(const std::string& path, int port) {
  if (path.empty()) return;
  std::ofstream(path + ".tmp", std::ios::trunc) << port << "\n";
  std::error_code ec;
  std::filesystem::rename(path + ".tmp", path, ec);
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  training::config::ParseFlagsOrExit(
      argc, argv,
      "training_gateway: HTTP/JSON front door of the training suite.");
  log::Level level;
  if (!log::ParseLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    training::config::ExitIfInvalid(absl::InvalidArgumentError(
        "--log_level (TRAINING_LOG_LEVEL): must be debug, info, warning or "
        "error"));
  }
  log::Configure("gateway", level);
  log::RouteGrpcLogs();
  training::config::ExitIfInvalid(training::config::ValidatePort(
      "http_port", absl::GetFlag(FLAGS_http_port)));
  training::config::ExitIfInvalid(training::config::ValidatePort(
      "metrics_port", absl::GetFlag(FLAGS_metrics_port)));
  if (absl::GetFlag(FLAGS_readiness_interval) <= absl::ZeroDuration()) {
    training::config::ExitIfInvalid(absl::InvalidArgumentError(
        "--readiness_interval (TRAINING_READINESS_INTERVAL): must be "
        "positive"));
  }

  auto& registry = training::metrics::DefaultRegistry();
  registry.AddProcessMetrics();
  auto& requests =
      registry.Counter("http_requests_total",
                       "HTTP requests by route and status.", {"route", "code"});
  auto metrics_server = training::metrics::MetricsServer::Start(
      absl::GetFlag(FLAGS_host), absl::GetFlag(FLAGS_metrics_port), &registry);
  if (!metrics_server.ok()) {
    log::Error("metrics.start_failed",
               {{"error", log::ScrubbedText(metrics_server.status().message())},
                {"change_with", "--metrics_port (TRAINING_METRICS_PORT)"}});
    return 1;
  }

  log::Info(
      "config",
      {{"listen", log::Id(absl::StrCat(absl::GetFlag(FLAGS_host), ":",
                                       absl::GetFlag(FLAGS_http_port)))},
       {"metrics_port", absl::GetFlag(FLAGS_metrics_port)},
       {"catalogue", log::Id(absl::GetFlag(FLAGS_catalogue_address))},
       {"booking", log::Id(absl::GetFlag(FLAGS_booking_address))},
       {"notification", log::Id(absl::GetFlag(FLAGS_notification_address))},
       {"content", log::Id(absl::GetFlag(FLAGS_content_address))}});
  auto credentials = training::runtime::ChannelCredentials(
      training::runtime::ClientTlsFilesFromFlags());
  if (!credentials.ok()) {
    log::Error("config.tls_failed",
               {{"error", log::ScrubbedText(credentials.status().message())}});
    return 2;
  }
  training::gateway::BackendHealth backends(
      {{"catalogue", absl::GetFlag(FLAGS_catalogue_address)},
       {"booking", absl::GetFlag(FLAGS_booking_address)},
       {"notification", absl::GetFlag(FLAGS_notification_address)},
       {"content", absl::GetFlag(FLAGS_content_address)}},
      *credentials, absl::GetFlag(FLAGS_readiness_interval), absl::Seconds(1));
  backends.Start();
  std::atomic<bool> shutting_down{false};

  auto handler = [&](const HttpRequest& request) -> HttpResponse {
    const std::string path = request.target.substr(0, request.target.find('?'));
    HttpResponse response;
    if (path == "/healthz" && request.method == "GET") {
      response.body = R"({"status":"ok"})";
      requests.Add({"/healthz", "200"});
      return response;
    }
    if (path == "/readyz" && request.method == "GET") {
      std::string detail;
      for (const auto& [name, serving] : backends.Snapshot()) {
        absl::StrAppend(&detail, detail.empty() ? "" : ",", "\"", name, "\":\"",
                        serving ? "SERVING" : "NOT_SERVING", "\"");
      }
      const bool ready = !shutting_down.load() && backends.AllServing();
      response.status = ready ? 200 : 503;
      response.body = absl::StrCat(R"({"status":")",
                                   shutting_down.load() ? "shutting_down"
                                   : ready              ? "ready"
                                                        : "not_ready",
                                   R"(","backends":{)", detail, "}}");
      requests.Add({"/readyz", absl::StrCat(response.status)});
      return response;
    }
    response.status = 404;
    response.body = JsonError(404, "NOT_FOUND", "no such route");
    requests.Add({"unmatched", "404"});
    return response;
  };

  auto server = training::gateway::HttpServer::Start(
      absl::GetFlag(FLAGS_host), absl::GetFlag(FLAGS_http_port),
      absl::GetFlag(FLAGS_http_threads), handler);
  if (!server.ok()) {
    log::Error("http.start_failed",
               {{"error", log::ScrubbedText(server.status().message())},
                {"change_with", "--http_port (TRAINING_HTTP_PORT)"}});
    return 1;
  }
  WritePortFile(absl::GetFlag(FLAGS_port_file), (*server)->port());
  WritePortFile(absl::GetFlag(FLAGS_metrics_port_file),
                (*metrics_server)->port());
  log::Info("server.started", {{"http_port", (*server)->port()},
                               {"metrics_port", (*metrics_server)->port()}});

  int signal = 0;
  sigwait(&signals, &signal);
  log::Info("shutdown.begin", {{"signal", signal}});
  shutting_down.store(true);
  timespec grace = absl::ToTimespec(absl::GetFlag(FLAGS_shutdown_grace));
  sigtimedwait(&signals, nullptr, &grace);
  (*server)->Stop();
  log::Info("shutdown.complete");
  return 0;
}
