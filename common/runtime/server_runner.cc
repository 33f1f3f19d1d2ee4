#include "common/runtime/server_runner.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/config/flags.h"
#include "common/logging/log.h"
#include "common/metrics/metrics_server.h"
#include "common/runtime/health_service.h"
#include "common/runtime/service_channel.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"

ABSL_FLAG(std::string, host, "127.0.0.1",
          "Address to listen on (0.0.0.0 in containers).");
ABSL_FLAG(int, port, 0, "gRPC port; 0 picks a free one.");
ABSL_FLAG(int, metrics_port, 0,
          "Prometheus metrics HTTP port; 0 picks a free one.");
ABSL_FLAG(std::string, port_file, "",
          "If set, the bound gRPC port is written to this file once serving.");
ABSL_FLAG(std::string, metrics_port_file, "",
          "If set, the bound metrics port is written to this file.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "After SIGTERM, how long health reports NOT_SERVING while calls "
          "are still served, so load balancers stop sending new ones.");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(20),
          "After the grace period, how long in-flight calls may take to "
          "finish before they are cancelled.");
ABSL_FLAG(int, worker_threads, 16,
          "Threads for blocking work (database, Redis, other services).");
ABSL_FLAG(int, max_queued_calls, 2000,
          "Calls that may wait for a worker; beyond it RESOURCE_EXHAUSTED.");
ABSL_FLAG(std::string, api_keys_file, "",
          "JSON API key file (training.config.v1.ApiKeyFile); reloaded when "
          "it changes and on SIGHUP.");
ABSL_FLAG(std::string, api_keys, "",
          "API keys as inline JSON, same format as the file (for secrets "
          "mounted as environment variables).");
ABSL_FLAG(absl::Duration, api_keys_reload_interval, absl::Seconds(2),
          "How often the key file is checked for changes.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(std::string, service_key, "",
          "This service's own API key, for calls to other services.");
ABSL_FLAG(std::string, data_dir, "/var/lib/training",
          "Directory for local data: the SQLite database when no "
          "--database_url is given (created when missing). Never the "
          "working directory unless asked for.");
ABSL_FLAG(std::string, database_url, "",
          "The service's database: sqlite:///path/file.db or "
          "postgresql://user@host:port/db (see common/sql/database.h). "
          "Default: <data_dir>/<service>.db on SQLite.");
ABSL_FLAG(int, health_port, -1,
          "A plaintext port serving grpc.health.v1 only (no other service), "
          "for probes that cannot present a certificate when the gRPC port "
          "speaks TLS; 0 picks a free one; -1: none.");
ABSL_FLAG(absl::Duration, max_connection_age, absl::ZeroDuration(),
          "Close each client connection this long after it opened (calls "
          "in flight get --drain_timeout), so that clients re-resolve and "
          "spread over replicas started since; 0: never. Five minutes suits "
          "Kubernetes.");
ABSL_FLAG(std::string, redis_url, "redis://127.0.0.1:6379",
          "Redis for the availability cache and event streams "
          "(redis://host:port?pool_size=&timeout_ms=).");

namespace training::runtime {
namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// Written through a rename so that a reader never sees half a number.
void WritePortFile(const std::string& path, int port) {
  if (path.empty()) return;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) log::Error("port_file.write_failed", {{"port", port}});
}

absl::Status Positive(const char* flag, absl::Duration d, bool allow_zero) {
  if (d < absl::ZeroDuration() || (!allow_zero && d == absl::ZeroDuration())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " (", config::EnvNameForFlag(flag),
                     "): must be ", allow_zero ? "zero or more" : "positive"));
  }
  return absl::OkStatus();
}

// The plaintext port serving health alone (--health_port), or null when it
// cannot listen (logged).
std::unique_ptr<grpc::Server> StartProbeServer(const ServerOptions& options,
                                               HealthService& health) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::StrCat(options.host, ":", options.health_port),
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&health);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    log::Error("server.start_failed",
               {{"address",
                 log::Id(absl::StrCat(options.host, ":", options.health_port))},
                {"change_with", "--health_port (TRAINING_HEALTH_PORT)"}});
    return nullptr;
  }
  WritePortFile(options.port_file.empty() ? "" : options.port_file + ".health",
                port);
  log::Info("server.health_port", {{"port", port}});
  return server;
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void SetDefaultPorts(int port, int metrics_port) {
  absl::SetFlag(&FLAGS_port, port);
  absl::SetFlag(&FLAGS_metrics_port, metrics_port);
}

absl::StatusOr<ServerOptions> ServerOptionsFromFlags(std::string service_name) {
  ServerOptions o;
  o.service_name = std::move(service_name);
  o.host = absl::GetFlag(FLAGS_host);
  o.port = absl::GetFlag(FLAGS_port);
  o.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  o.port_file = absl::GetFlag(FLAGS_port_file);
  o.metrics_port_file = absl::GetFlag(FLAGS_metrics_port_file);
  o.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  o.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  o.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  o.max_queued_calls =
      static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_max_queued_calls)));
  o.api_keys_file = absl::GetFlag(FLAGS_api_keys_file);
  o.api_keys_json = absl::GetFlag(FLAGS_api_keys);
  o.api_keys_reload_interval = absl::GetFlag(FLAGS_api_keys_reload_interval);
  o.service_key = absl::GetFlag(FLAGS_service_key);
  o.data_dir = absl::GetFlag(FLAGS_data_dir);
  o.database_url = absl::GetFlag(FLAGS_database_url);
  if (o.database_url.empty()) {
    o.database_url =
        absl::StrCat("sqlite://", o.data_dir, "/", o.service_name, ".db");
  }
  o.redis_url = absl::GetFlag(FLAGS_redis_url);
  o.tls = ServerTlsFilesFromFlags();
  o.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  o.health_port = absl::GetFlag(FLAGS_health_port);
  if (o.health_port != -1) {
    if (absl::Status s = config::ValidatePort("health_port", o.health_port);
        !s.ok()) {
      return s;
    }
  }
  if (absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> tls =
          ServerCredentials(o.tls);
      !tls.ok()) {
    return tls.status();
  }

  if (absl::Status s = config::ValidatePort("port", o.port); !s.ok()) return s;
  if (absl::Status s = config::ValidatePort("metrics_port", o.metrics_port);
      !s.ok()) {
    return s;
  }
  if (o.host.empty()) {
    return absl::InvalidArgumentError("--host (TRAINING_HOST): required");
  }
  if (absl::Status s = Positive("shutdown_grace", o.shutdown_grace, true);
      !s.ok())
    return s;
  if (absl::Status s = Positive("drain_timeout", o.drain_timeout, false);
      !s.ok())
    return s;
  if (absl::Status s = Positive("api_keys_reload_interval",
                                o.api_keys_reload_interval, false);
      !s.ok())
    return s;
  // gRPC takes the age in milliseconds as an int.
  if (o.max_connection_age < absl::ZeroDuration() ||
      o.max_connection_age > absl::Hours(24 * 24)) {
    return absl::InvalidArgumentError(
        "--max_connection_age (TRAINING_MAX_CONNECTION_AGE): must be 0 to "
        "24 days");
  }
  if (o.worker_threads < 1 || o.worker_threads > 1024) {
    return absl::InvalidArgumentError(
        "--worker_threads (TRAINING_WORKER_THREADS): must be 1 to 1024");
  }
  if (absl::GetFlag(FLAGS_max_queued_calls) < 1) {
    return absl::InvalidArgumentError(
        "--max_queued_calls (TRAINING_MAX_QUEUED_CALLS): must be at least 1");
  }
  return o;
}

absl::Status PrepareDataDir(const ServerOptions& options) {
  std::error_code error;
  std::filesystem::create_directories(options.data_dir, error);
  if (error || access(options.data_dir.c_str(), W_OK) != 0) {
    return absl::InvalidArgumentError(
        "--data_dir (TRAINING_DATA_DIR): cannot be created or written; give "
        "a directory this service may write, or a --database_url");
  }
  return absl::OkStatus();
}

absl::Status PrepareDatabaseDir(const ServerOptions& options) {
  log::Info("config.database",
            {{"database", log::Id(config::EndpointOf(options.database_url))}});
  if (!absl::GetFlag(FLAGS_database_url).empty()) return absl::OkStatus();
  return PrepareDataDir(options);
}

absl::StatusOr<std::unique_ptr<ServerRunner>> ServerRunner::Create(
    ServerOptions options) {
  auto keys =
      auth::KeyStore::Create(options.api_keys_file, options.api_keys_json);
  if (!keys.ok()) return keys.status();
  std::unique_ptr<ServerRunner> runner(new ServerRunner(std::move(options)));
  runner->keys_ = *std::move(keys);
  return runner;
}

ServerRunner::ServerRunner(ServerOptions options)
    : options_(std::move(options)),
      pool_(std::make_unique<WorkerPool>(options_.worker_threads,
                                         options_.max_queued_calls)) {}

ServerRunner::~ServerRunner() {
  if (pool_) pool_->Shutdown();
  while (!kept_.empty()) kept_.pop_back();
}

ServiceRuntime ServerRunner::runtime() {
  return {pool_.get(), keys_.get(), &metrics::DefaultRegistry()};
}

void ServerRunner::AddService(DispatchedService service) {
  health_names_.push_back(service.dispatcher->descriptor()->full_name());
  dispatchers_.push_back(std::move(service.dispatcher));
  services_.push_back(std::move(service.service));
}

void ServerRunner::AddService(std::unique_ptr<grpc::Service> service,
                              std::string health_name) {
  health_names_.push_back(std::move(health_name));
  services_.push_back(std::move(service));
}

int ServerRunner::Run() {
  BlockShutdownSignals();
  metrics::Registry& registry = metrics::DefaultRegistry();
  registry.AddProcessMetrics();
  registry.Gauge(
      "training_worker_queue_depth", "Calls waiting for a worker.",
      [pool = pool_.get()] { return static_cast<double>(pool->queued()); });
  registry.Gauge(
      "training_worker_busy", "Workers running a call.",
      [pool = pool_.get()] { return static_cast<double>(pool->busy()); });

  auto metrics_server = metrics::MetricsServer::Start(
      options_.host, options_.metrics_port, &registry);
  if (!metrics_server.ok()) {
    log::Error("metrics.start_failed",
               {{"error", log::ScrubbedText(metrics_server.status().message())},
                {"address", log::Id(absl::StrCat(options_.host, ":",
                                                 options_.metrics_port))},
                {"change_with", "--metrics_port (TRAINING_METRICS_PORT)"}});
    return 1;
  }

  // Our own health service (see health_service.h), not gRPC's default.
  grpc::EnableDefaultHealthCheckService(false);
  HealthService health;
  // The plaintext probe port's own copy, kept in step with `health`.
  HealthService probe_health;
  const std::vector<HealthService*> healths = {&health, &probe_health};
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentials(options_.tls);
  if (!credentials.ok()) {
    log::Error("server.tls_failed",
               {{"error", log::ScrubbedText(credentials.status().message())}});
    return 1;
  }
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(absl::StrCat(options_.host, ":", options_.port),
                           *credentials, &bound_port);
  builder.RegisterService(&health);
  for (auto& service : services_) builder.RegisterService(service.get());
  SetMaxConnectionAge(builder, options_.max_connection_age,
                      options_.drain_timeout);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    // Most often the port is taken by another process.
    log::Error(
        "server.start_failed",
        {{"address", log::Id(absl::StrCat(options_.host, ":", options_.port))},
         {"change_with", "--port (TRAINING_PORT)"}});
    return 1;
  }
  std::unique_ptr<grpc::Server> probe_server;
  if (options_.health_port >= 0) {
    probe_server = StartProbeServer(options_, probe_health);
    if (probe_server == nullptr) {
      server->Shutdown();
      return 1;
    }
  }
  for (HealthService* h : healths) {
    h->SetServing("", true);
    for (const auto& name : health_names_) h->SetServing(name, true);
  }
  keys_->StartWatching(options_.api_keys_reload_interval);

  // The metrics port first: a test that sees the gRPC port finds both.
  WritePortFile(options_.metrics_port_file, (*metrics_server)->port());
  WritePortFile(options_.port_file, bound_port);
  log::Info("server.started", {{"port", bound_port},
                               {"metrics_port", (*metrics_server)->port()},
                               {"services", health_names_.size()}});

  const sigset_t signals = ShutdownSignals();
  while (true) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      auto reloaded = keys_->Reload();
      if (!reloaded.ok()) {
        log::Error("api_keys.reload_failed",
                   {{"error", log::ScrubbedText(reloaded.status().message())}});
      } else {
        log::Info("api_keys.reload", {{"changed", *reloaded}});
      }
      continue;
    }
    log::Info("shutdown.begin", {{"signal", signal}});
    break;
  }

  // Stop attracting calls but keep serving them, so that load balancers
  // and clients watching health move away before anything is refused.
  for (HealthService* h : healths) h->SetAllNotServing();
  const absl::Time grace_end = absl::Now() + options_.shutdown_grace;
  while (absl::Now() < grace_end) {
    const absl::Duration left = grace_end - absl::Now();
    timespec timeout = absl::ToTimespec(left);
    if (sigtimedwait(&signals, nullptr, &timeout) > 0) {
      log::Info("shutdown.grace_cut_short");
      break;
    }
  }
  // Ends open health Watch streams; otherwise each would hold the drain
  // open until its deadline.
  for (HealthService* h : healths) h->Shutdown();
  if (probe_server) probe_server->Shutdown();
  server->Shutdown(absl::ToChronoTime(absl::Now() + options_.drain_timeout));
  server->Wait();
  pool_->Shutdown();
  // What handlers used (relays, stores, databases) goes last, newest first.
  while (!kept_.empty()) kept_.pop_back();
  log::Info("shutdown.complete");
  return 0;
}

int ServiceMain(
    int argc, char** argv, const ServiceMainOptions& options,
    const std::function<absl::Status(ServerRunner&)>& register_services) {
  BlockShutdownSignals();
  // Debian builds Abseil without NDEBUG, which leaves Mutex deadlock
  // detection on: a lock-graph update on every lock, gRPC's included (1-2%
  // of a booking replica's CPU under a flash crowd). Tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  SetDefaultPorts(options.default_port, options.default_metrics_port);
  absl::SetFlag(&FLAGS_worker_threads, options.default_worker_threads);
  config::ParseFlagsOrExit(
      argc, argv,
      absl::StrCat("training_", options.service_name, ": the ",
                   options.service_name, " service of the training suite."));
  log::Level level;
  if (!log::ParseLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    config::ExitIfInvalid(absl::InvalidArgumentError(
        "--log_level (TRAINING_LOG_LEVEL): must be debug, info, warning or "
        "error"));
  }
  log::Configure(options.service_name, level);
  log::RouteGrpcLogs();

  auto server_options = ServerOptionsFromFlags(options.service_name);
  config::ExitIfInvalid(server_options.status());
  // Where this process listens and what it talks to, as resolved from
  // flags, environment and defaults (a service that opens a database logs
  // where as config.database).
  log::Info("config",
            {{"listen", log::Id(absl::StrCat(server_options->host, ":",
                                             server_options->port))},
             {"metrics_port", server_options->metrics_port},
             {"redis", log::Id(config::EndpointOf(server_options->redis_url))},
             {"data_dir", log::Id(server_options->data_dir)}});
  auto runner = ServerRunner::Create(*std::move(server_options));
  config::ExitIfInvalid(runner.status());
  absl::Status registered = register_services(**runner);
  config::ExitIfInvalid(registered);
  return (*runner)->Run();
}

}  // namespace training::runtime
