#ifndef TRAINING_COMMON_RUNTIME_SERVER_RUNNER_H_
#define TRAINING_COMMON_RUNTIME_SERVER_RUNNER_H_

// The process around every service: a gRPC callback-API server with health
// checking and reflection, a worker pool, API keys, Prometheus metrics on
// their own port, JSON logs, and graceful shutdown:
//
//   SIGTERM/SIGINT → health NOT_SERVING (calls still served) for
//   --shutdown_grace → Server::Shutdown with --drain_timeout (in-flight calls
//   finish; past it they are cancelled) → worker pool drained → exit 0.
//   A second signal cuts the grace period short. SIGHUP reloads API keys.
//
// Flags (each with its TRAINING_<NAME> fallback) are shared by every
// service: --host --port --metrics_port --port_file --metrics_port_file
// --shutdown_grace --drain_timeout --worker_threads --max_queued_calls
// --api_keys_file --api_keys --api_keys_reload_interval --log_level
// --service_key --data_dir --database_url --redis_url.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/runtime/dispatcher.h"
#include "common/runtime/tls.h"
#include "grpcpp/grpcpp.h"

namespace training::runtime {

struct ServerOptions {
  std::string service_name;  // `catalogue`: in logs and metrics
  std::string host = "127.0.0.1";
  int port = 0;
  int metrics_port = 0;
  std::string port_file;          // the bound gRPC port is written here
  std::string metrics_port_file;  // the bound metrics port is written here
  absl::Duration shutdown_grace = absl::Seconds(5);
  absl::Duration drain_timeout = absl::Seconds(20);
  int worker_threads = 16;
  size_t max_queued_calls = 2000;
  std::string api_keys_file;
  std::string api_keys_json;
  absl::Duration api_keys_reload_interval = absl::Seconds(2);
  std::string service_key;  // this service's own key for outgoing calls
  std::string data_dir = "/var/lib/training";
  // Never empty after ServerOptionsFromFlags: SQLite in data_dir by default.
  std::string database_url;
  std::string redis_url;
  // TLS on the gRPC port (tls.h); off when no certificate is given.
  ServerTlsFiles tls;
  // A plaintext port serving grpc.health.v1 only, for probes that present
  // no certificate (Kubernetes' gRPC probes); -1: none.
  int health_port = -1;
  // Each client connection is closed this long after it opened (calls in
  // flight get drain_timeout), so that clients spread over replicas
  // started since; zero: never (service_channel.h).
  absl::Duration max_connection_age = absl::ZeroDuration();
};

// The options given by the shared flags (after config::ParseFlagsOrExit).
// INVALID_ARGUMENT naming the flag when a value is out of range.
absl::StatusOr<ServerOptions> ServerOptionsFromFlags(std::string service_name);

// Makes sure --data_dir exists and can be written (creating it when
// missing); INVALID_ARGUMENT naming the flag when not.
absl::Status PrepareDataDir(const ServerOptions& options);
// For a service that opens a database, before it opens it: logs where
// (config.database), and prepares --data_dir when the database is the
// default SQLite file in it (no --database_url given).
absl::Status PrepareDatabaseDir(const ServerOptions& options);

// Sets the defaults of --port and --metrics_port for this binary; call
// before parsing flags.
void SetDefaultPorts(int port, int metrics_port);

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and every thread it
// starts afterwards, so that only the runner's signal wait receives them.
// Call first thing in main.
void BlockShutdownSignals();

class ServerRunner {
 public:
  // Loads API keys and starts the worker pool. INVALID_ARGUMENT when the
  // key file is missing or invalid.
  static absl::StatusOr<std::unique_ptr<ServerRunner>> Create(
      ServerOptions options);
  ~ServerRunner();

  // What dispatchers of this process share.
  ServiceRuntime runtime();
  const ServerOptions& options() const { return options_; }

  // Adds a service of the suite (health status is kept for its name).
  void AddService(DispatchedService service);
  // Adds any other gRPC service (tests register test-only ones here).
  void AddService(std::unique_ptr<grpc::Service> service,
                  std::string health_name);

  // Keeps `resource` (a store, a relay, a database) alive until the server
  // has drained and the worker pool has stopped; released newest first.
  void Keep(std::shared_ptr<void> resource) {
    kept_.push_back(std::move(resource));
  }

  // Serves until SIGTERM or SIGINT, then shuts down gracefully. Returns the
  // process exit code: 0 after a clean shutdown, 1 when the server could not
  // start (e.g. the port is taken).
  int Run();

 private:
  explicit ServerRunner(ServerOptions options);

  ServerOptions options_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<auth::KeyStore> keys_;
  std::vector<std::shared_ptr<Dispatcher>> dispatchers_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::vector<std::string> health_names_;
  std::vector<std::shared_ptr<void>> kept_;
};

// The whole main() of a service: parses flags (exit 2 on bad ones), sets up
// logging, lets `register_services` add the service's handlers, and runs.
struct ServiceMainOptions {
  std::string service_name;
  int default_port;
  int default_metrics_port;
  // Booking raises it: callers waiting for a group commit hold a worker.
  int default_worker_threads = 16;
};
int ServiceMain(
    int argc, char** argv, const ServiceMainOptions& options,
    const std::function<absl::Status(ServerRunner&)>& register_services);

}  // namespace training::runtime

#endif  // TRAINING_COMMON_RUNTIME_SERVER_RUNNER_H_
