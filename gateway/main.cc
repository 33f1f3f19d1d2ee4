// training_gateway: the suite's HTTP front door. It serves the REST/JSON API
// transcoded from the contract's google.api.http rules (gateway/transcode,
// gateway/rest), its OpenAPI document at /openapi.json (gateway/openapi),
// /healthz (the process is alive) and /readyz (any backend reports SERVING
// and no shutdown is under way), all behind the edge's rate limits, CORS
// and security headers (gateway/edge). main only wires the parts.

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/config/flags.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/metrics/metrics_server.h"
#include "common/runtime/tls.h"
#include "gateway/edge/front_door.h"
#include "gateway/edge_setup.h"
#include "gateway/http/http_server.h"
#include "gateway/openapi/openapi_endpoint.h"
#include "gateway/rest/rest_handler.h"
#include "gateway/transcode/route_table.h"
#include "gateway/transcode/suite_services.h"
#include "gateway/upstream/backend_health.h"
#include "gateway/upstream/backends.h"
#include "gateway/web/web_handler.h"
#include "gateway/web_setup.h"

ABSL_FLAG(std::string, host, "127.0.0.1",
          "Address to listen on (0.0.0.0 in containers).");
ABSL_FLAG(int, http_port, 8080, "HTTP port; 0 picks a free one.");
ABSL_FLAG(int, metrics_port, 9105, "Prometheus metrics port; 0 picks one.");
ABSL_FLAG(std::string, port_file, "",
          "If set, the bound HTTP port is written here once serving.");
ABSL_FLAG(std::string, metrics_port_file, "",
          "If set, the bound metrics port is written to this file.");
ABSL_FLAG(int, http_threads, 0, "HTTP I/O threads; 0 means one per core.");
ABSL_FLAG(int64_t, http_max_body_bytes, 1 << 20,
          "Largest request body accepted (413 beyond).");
ABSL_FLAG(int64_t, http_max_header_bytes, 16 << 10,
          "Largest request header accepted (431 beyond).");
ABSL_FLAG(int, http_max_header_fields, 100,
          "Most header fields a request may have (431 beyond).");
ABSL_FLAG(absl::Duration, http_idle_timeout, absl::Seconds(60),
          "How long a kept-alive connection may wait for its next request.");
ABSL_FLAG(absl::Duration, http_read_timeout, absl::Seconds(15),
          "How long a request may take to arrive once begun (then the "
          "connection is closed).");
ABSL_FLAG(absl::Duration, http_write_timeout, absl::Seconds(15),
          "How long a response may take to leave.");
ABSL_FLAG(absl::Duration, read_deadline, absl::Seconds(5),
          "Deadline of a GET's backend call (X-Request-Timeout shortens it).");
ABSL_FLAG(absl::Duration, write_deadline, absl::Seconds(10),
          "Deadline of any other backend call (X-Request-Timeout shortens "
          "it).");
ABSL_FLAG(absl::Duration, public_max_age, absl::Seconds(5),
          "Cache-Control max-age of anonymous GETs of public resources.");
ABSL_FLAG(std::string, catalogue_address, "127.0.0.1:7051",
          "Catalogue service gRPC address (dns:///name:port for every pod "
          "behind a headless Service).");
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
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(15),
          "After the grace, how long requests in flight may take to finish.");
ABSL_FLAG(std::string, openapi_server_url, "/",
          "The API's address as clients reach it, for /openapi.json's "
          "`servers` (\"/\": wherever the document was read from).");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(std::string, service_key, "",
          "The gateway's own API key (it forwards callers' credentials and "
          "asserts no identity of its own).");

namespace {

using training::gateway::http::HttpRequest;
using training::gateway::http::HttpResponse;
namespace log = training::log;

void WritePortFile(const std::string& path, int port) {
  if (path.empty()) return;
  std::ofstream(path + ".tmp", std::ios::trunc) << port << "\n";
  std::error_code ec;
  std::filesystem::rename(path + ".tmp", path, ec);
}

std::string StatusClass(int status) { return absl::StrCat(status / 100, "xx"); }

// Metrics and the access log: method, route template, status class,
// duration and request id; never a query string, a body or a credential.
class Observer {
 public:
  explicit Observer(training::metrics::Registry& registry)
      : requests_(registry.Counter(
            "http_requests_total",
            "HTTP requests by method, route template and status class "
            "(2xx, 4xx, ...).",
            {"method", "route", "code"})),
        durations_(registry.Histogram(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer, by route template.",
            {"method", "route"})),
        upstream_(registry.Histogram(
            "http_upstream_duration_seconds",
            "Time waiting for the backend's answer, by route template.",
            {"method", "route"})),
        healthz_ok_(requests_.Child({"GET", "/healthz", "2xx"})) {}

  void Report(const training::gateway::RequestReport& r) {
    requests_.Add({r.method, r.route, StatusClass(r.status)});
    durations_.Observe({r.method, r.route}, absl::ToDoubleSeconds(r.duration));
    if (r.upstream > absl::ZeroDuration()) {
      upstream_.Observe({r.method, r.route}, absl::ToDoubleSeconds(r.upstream));
    }
    log::Info("http.request", {{"method", log::Id(r.method)},
                               {"route", log::Id(r.route)},
                               {"status", static_cast<int64_t>(r.status)},
                               {"duration", r.duration},
                               {"request_id", log::Id(r.request_id)}});
  }
  // /healthz and /readyz: counted, not logged (probes come every second).
  void Probe(const char* route, int status) {
    // The liveness answer is the one a load balancer may ask for often:
    // its counter is kept rather than looked up.
    if (status == 200 && std::string_view(route) == "/healthz") {
      return healthz_ok_.Increment();
    }
    requests_.Add({"GET", route, StatusClass(status)});
  }
  // What the edge refused: over a rate limit (429, `why` names the limit)
  // or a preflight from an origin or for a method not allowed.
  void Limited(const std::string& method, const std::string& why, int status) {
    // Any method may come here: unknown ones share one label.
    const bool known = method == "GET" || method == "POST" ||
                       method == "PATCH" || method == "DELETE" ||
                       method == "PUT" || method == "OPTIONS";
    requests_.Add({known ? method : "OTHER",
                   why == "preflight" ? "preflight" : "rate_limited",
                   StatusClass(status)});
    // One line a second per limit at most: a flood of refusals must not
    // become a flood of log lines.
    int64_t suppressed = 0;
    {
      absl::MutexLock lock(&limited_mu_);
      LogBudget& budget = limited_log_[why];
      const absl::Time now = absl::Now();
      if (now - budget.last < absl::Seconds(1)) {
        ++budget.suppressed;
        return;
      }
      budget.last = now;
      suppressed = std::exchange(budget.suppressed, 0);
    }
    log::Info("http.limited", {{"limit", log::Id(why)},
                               {"status", static_cast<int64_t>(status)},
                               {"suppressed_since_last", suppressed}});
  }
  // What the server refused before any route was known (400, 413, 431).
  void Refused(int status) {
    requests_.Add({"OTHER", "unparsed", StatusClass(status)});
    log::Info("http.refused", {{"status", static_cast<int64_t>(status)}});
  }

 private:
  training::metrics::CounterFamily& requests_;
  training::metrics::HistogramFamily& durations_;
  training::metrics::HistogramFamily& upstream_;
  prometheus::Counter& healthz_ok_;
  struct LogBudget {
    absl::Time last = absl::InfinitePast();
    int64_t suppressed = 0;
  };
  absl::Mutex limited_mu_;
  std::map<std::string, LogBudget> limited_log_ ABSL_GUARDED_BY(limited_mu_);
};

// 200 while any backend serves and no shutdown is under way: a gateway pod
// can still answer the routes of the others, and failing every pod's
// readiness because one service is down would take the whole API off the
// load balancer. Each backend's state is in the body.
HttpResponse Readiness(const training::gateway::BackendHealth& health,
                       bool shutting_down) {
  std::string detail;
  for (const auto& [name, serving] : health.Snapshot()) {
    absl::StrAppend(&detail, detail.empty() ? "" : ",", "\"", name, "\":\"",
                    serving ? "SERVING" : "NOT_SERVING", "\"");
  }
  const bool ready = !shutting_down && health.AnyServing();
  HttpResponse response;
  response.status = ready ? 200 : 503;
  response.body = absl::StrCat(R"({"status":")",
                               shutting_down ? "shutting_down"
                               : ready       ? "ready"
                                             : "not_ready",
                               R"(","backends":{)", detail, "}}");
  return response;
}

training::gateway::http::HttpServerOptions HttpOptionsFromFlags() {
  training::gateway::http::HttpServerOptions options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_http_port);
  options.threads = absl::GetFlag(FLAGS_http_threads);
  if (options.threads == 0) {
    options.threads =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  options.max_body_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_http_max_body_bytes));
  options.max_header_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_http_max_header_bytes));
  options.max_header_fields =
      static_cast<size_t>(absl::GetFlag(FLAGS_http_max_header_fields));
  options.idle_timeout = absl::GetFlag(FLAGS_http_idle_timeout);
  options.read_timeout = absl::GetFlag(FLAGS_http_read_timeout);
  options.write_timeout = absl::GetFlag(FLAGS_http_write_timeout);
  return options;
}

training::gateway::RestOptions RestOptionsFromFlags() {
  training::gateway::RestOptions options;
  options.read_deadline = absl::GetFlag(FLAGS_read_deadline);
  options.write_deadline = absl::GetFlag(FLAGS_write_deadline);
  options.public_max_age = absl::GetFlag(FLAGS_public_max_age);
  return options;
}

std::vector<training::gateway::Backend> BackendsFromFlags() {
  return {{"catalogue", absl::GetFlag(FLAGS_catalogue_address)},
          {"booking", absl::GetFlag(FLAGS_booking_address)},
          {"notification", absl::GetFlag(FLAGS_notification_address)},
          {"content", absl::GetFlag(FLAGS_content_address)}};
}

void ConfigureLogs() {
  log::Level level;
  if (!log::ParseLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    training::config::ExitIfInvalid(absl::InvalidArgumentError(
        "--log_level (TRAINING_LOG_LEVEL): must be debug, info, warning or "
        "error"));
  }
  log::Configure("gateway", level);
  log::RouteGrpcLogs();
}

// Every resolved address, at start.
void LogConfig(size_t routes) {
  log::Info(
      "config",
      {{"listen", log::Id(absl::StrCat(absl::GetFlag(FLAGS_host), ":",
                                       absl::GetFlag(FLAGS_http_port)))},
       {"metrics_port", absl::GetFlag(FLAGS_metrics_port)},
       {"routes", static_cast<int64_t>(routes)},
       {"catalogue", log::Id(absl::GetFlag(FLAGS_catalogue_address))},
       {"booking", log::Id(absl::GetFlag(FLAGS_booking_address))},
       {"notification", log::Id(absl::GetFlag(FLAGS_notification_address))},
       {"content", log::Id(absl::GetFlag(FLAGS_content_address))}});
}

// What the http_requests_in_flight gauge reads: the server until main lets
// it go (a scrape may come during shutdown, and must not read a server
// being destroyed).
class InFlightSource {
 public:
  explicit InFlightSource(training::gateway::http::HttpServer* server)
      : server_(server) {}
  double Read() {
    absl::MutexLock lock(&mu_);
    return server_ == nullptr ? 0.0 : static_cast<double>(server_->in_flight());
  }
  void Forget() {
    absl::MutexLock lock(&mu_);
    server_ = nullptr;
  }

 private:
  absl::Mutex mu_;
  training::gateway::http::HttpServer* server_ ABSL_GUARDED_BY(mu_);
};

std::shared_ptr<InFlightSource> ExportInFlight(
    training::metrics::Registry& registry,
    training::gateway::http::HttpServer* server) {
  auto source = std::make_shared<InFlightSource>(server);
  registry.Gauge("http_requests_in_flight",
                 "Requests whose response has not yet been written.",
                 [source] { return source->Read(); });
  return source;
}

void ValidateFlags() {
  namespace config = training::config;
  config::ExitIfInvalid(
      config::ValidatePort("http_port", absl::GetFlag(FLAGS_http_port)));
  config::ExitIfInvalid(
      config::ValidatePort("metrics_port", absl::GetFlag(FLAGS_metrics_port)));
  auto positive = [](const char* flag, const char* env, absl::Duration d) {
    if (d <= absl::ZeroDuration()) {
      config::ExitIfInvalid(absl::InvalidArgumentError(
          absl::StrCat("--", flag, " (", env, "): must be positive")));
    }
  };
  positive("readiness_interval", "TRAINING_READINESS_INTERVAL",
           absl::GetFlag(FLAGS_readiness_interval));
  positive("http_idle_timeout", "TRAINING_HTTP_IDLE_TIMEOUT",
           absl::GetFlag(FLAGS_http_idle_timeout));
  positive("http_read_timeout", "TRAINING_HTTP_READ_TIMEOUT",
           absl::GetFlag(FLAGS_http_read_timeout));
  positive("http_write_timeout", "TRAINING_HTTP_WRITE_TIMEOUT",
           absl::GetFlag(FLAGS_http_write_timeout));
  positive("read_deadline", "TRAINING_READ_DEADLINE",
           absl::GetFlag(FLAGS_read_deadline));
  positive("write_deadline", "TRAINING_WRITE_DEADLINE",
           absl::GetFlag(FLAGS_write_deadline));
  if (absl::GetFlag(FLAGS_http_max_body_bytes) <= 0 ||
      absl::GetFlag(FLAGS_http_max_header_bytes) <= 0 ||
      absl::GetFlag(FLAGS_http_max_header_fields) <= 0 ||
      absl::GetFlag(FLAGS_http_threads) < 0) {
    config::ExitIfInvalid(absl::InvalidArgumentError(
        "--http_max_body_bytes, --http_max_header_bytes and "
        "--http_max_header_fields must be positive, --http_threads 0 or "
        "more"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Debian builds Abseil without NDEBUG: Mutex deadlock detection would
  // update a lock graph on every lock, gRPC's included (TRAPS.md).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  training::config::ParseFlagsOrExit(
      argc, argv,
      "training_gateway: HTTP/JSON front door of the training suite.");
  ConfigureLogs();
  ValidateFlags();

  // The routes come from the contract: a rule that cannot be served, or
  // two that collide, stop the gateway here rather than shadow each other.
  auto routes = training::gateway::transcode::RouteTable::Build(
      training::gateway::transcode::SuiteServices());
  if (!routes.ok()) {
    log::Error("routes.invalid",
               {{"error", log::ScrubbedText(routes.status().message())}});
    return 2;
  }

  training::gateway::openapi::DocumentOptions document_options;
  document_options.server_url = absl::GetFlag(FLAGS_openapi_server_url);
  auto openapi = training::gateway::openapi::OpenApiEndpoint::Create(
      **routes, document_options);
  if (!openapi.ok()) {
    log::Error("openapi.invalid",
               {{"error", log::ScrubbedText(openapi.status().message())}});
    return 2;
  }

  auto& registry = training::metrics::DefaultRegistry();
  registry.AddProcessMetrics();
  Observer observer(registry);
  auto metrics_server = training::metrics::MetricsServer::Start(
      absl::GetFlag(FLAGS_host), absl::GetFlag(FLAGS_metrics_port), &registry);
  if (!metrics_server.ok()) {
    log::Error("metrics.start_failed",
               {{"error", log::ScrubbedText(metrics_server.status().message())},
                {"change_with", "--metrics_port (TRAINING_METRICS_PORT)"}});
    return 1;
  }

  LogConfig((*routes)->routes().size());
  auto credentials = training::runtime::ChannelCredentials(
      training::runtime::ClientTlsFilesFromFlags());
  if (!credentials.ok()) {
    log::Error("config.tls_failed",
               {{"error", log::ScrubbedText(credentials.status().message())}});
    return 2;
  }
  training::gateway::Backends backends(BackendsFromFlags(), *credentials);
  training::gateway::BackendHealth health(
      backends, absl::GetFlag(FLAGS_readiness_interval), absl::Seconds(1));
  health.Start();
  std::atomic<bool> shutting_down{false};

  training::gateway::RestHandler rest(
      routes->get(), &backends, RestOptionsFromFlags(),
      [&observer](const training::gateway::RequestReport& r) {
        observer.Report(r);
      });

  // Shared with the metrics registry, which may read it until exit.
  std::shared_ptr<training::gateway::Edge> edge =
      training::gateway::EdgeFromFlags(routes->get());
  if (edge->shared != nullptr) {
    registry.Gauge(
        "http_rate_limit_redis_fallbacks",
        "Rate-limit checks made against this replica's own buckets because "
        "Redis did not answer (a rise: limits are no longer shared).",
        [edge] { return static_cast<double>(edge->shared->fallbacks()); });
  }
  // The public pages.
  std::unique_ptr<training::gateway::Web> web = training::gateway::WebFromFlags(
      backends, absl::GetFlag(FLAGS_read_deadline),
      absl::GetFlag(FLAGS_write_deadline),
      [&observer](const training::gateway::web::PageReport& r) {
        observer.Report({.method = r.method,
                         .route = r.route,
                         .status = r.status,
                         .duration = r.duration,
                         .upstream = absl::ZeroDuration(),
                         .request_id = r.request_id});
      });

  auto routed = [&](HttpRequest request,
                    training::gateway::http::Responder respond) {
    const absl::string_view path = request.Path();
    if (request.method == "GET" && path == "/healthz") {
      HttpResponse response;
      response.body = R"({"status":"ok"})";
      observer.Probe("/healthz", response.status);
      return respond(std::move(response));
    }
    if (request.method == "GET" && path == "/readyz") {
      HttpResponse response = Readiness(health, shutting_down.load());
      observer.Probe("/readyz", response.status);
      return respond(std::move(response));
    }
    if (request.method == "GET" &&
        path == training::gateway::openapi::kOpenApiPath) {
      HttpResponse response = (*openapi)->Answer(request);
      observer.Probe(training::gateway::openapi::kOpenApiPath, response.status);
      return respond(std::move(response));
    }
    if (training::gateway::web::WebHandler::IsPagePath(path)) {
      return web->handler->Handle(std::move(request), std::move(respond));
    }
    rest.Handle(std::move(request), std::move(respond));
  };
  training::gateway::edge::FrontDoor front_door(
      edge->browser.get(), edge->limits.get(), routed,
      [&observer](const std::string& method, const std::string& why,
                  int status) { observer.Limited(method, why, status); },
      [&web](const HttpRequest& request, HttpResponse refusal) {
        if (!training::gateway::web::WebHandler::IsPagePath(request.Path())) {
          return refusal;
        }
        return web->pages->TooManyRequests(std::move(refusal));
      });
  auto handler = [&front_door](HttpRequest request,
                               training::gateway::http::Responder respond) {
    // The pages take no credentials (the manage token comes in a cookie):
    // an Authorization header on a page request, which would move it from
    // the anonymous rate limits to a key's, is dropped unread.
    if (training::gateway::web::WebHandler::IsPagePath(request.Path())) {
      std::erase_if(request.headers, [](const auto& header) {
        return header.first == "authorization";
      });
    }
    front_door.Handle(std::move(request), std::move(respond));
  };

  training::gateway::http::HttpServerOptions http_options =
      HttpOptionsFromFlags();
  http_options.common_headers = edge->browser->SecurityHeaders();
  http_options.on_refused = [&observer](int status) {
    observer.Refused(status);
  };
  auto server =
      training::gateway::http::HttpServer::Start(http_options, handler);
  if (!server.ok()) {
    log::Error("http.start_failed",
               {{"error", log::ScrubbedText(server.status().message())},
                {"change_with", "--http_port (TRAINING_HTTP_PORT)"}});
    return 1;
  }
  auto in_flight_source = ExportInFlight(registry, server->get());
  WritePortFile(absl::GetFlag(FLAGS_port_file), (*server)->port());
  WritePortFile(absl::GetFlag(FLAGS_metrics_port_file),
                (*metrics_server)->port());
  log::Info("server.started", {{"http_port", (*server)->port()},
                               {"metrics_port", (*metrics_server)->port()}});

  int signal = 0;
  sigwait(&signals, &signal);
  log::Info("shutdown.begin", {{"signal", signal}});
  // Readiness fails first so that load balancers stop sending; requests
  // still arriving are served. Then the server drains: no new connections,
  // idle ones closed, requests in flight finish.
  shutting_down.store(true);
  timespec grace = absl::ToTimespec(absl::GetFlag(FLAGS_shutdown_grace));
  sigtimedwait(&signals, nullptr, &grace);
  const bool drained = (*server)->Drain(absl::GetFlag(FLAGS_drain_timeout));
  // Calls still out after the drain are cancelled; their connections are
  // let go before the server is destroyed.
  const bool calls_done = rest.CancelAllAndWait(absl::Seconds(5));
  // Pages still rendering finish (their calls have deadlines) before what
  // they use goes.
  web->pool->Shutdown();
  in_flight_source->Forget();
  log::Info("shutdown.complete",
            {{"drained", drained}, {"calls_done", calls_done}});
  if (!calls_done) std::quick_exit(0);  // never free what gRPC still holds
  server->reset();
  return 0;
}
