#ifndef TRAINING_BENCH_HTTP_LOAD_H_
#define TRAINING_BENCH_HTTP_LOAD_H_

// HTTP load for the gateway benchmark: wrk (Debian) against a URL, its
// figures parsed; and an nginx (Debian) serving one file, the yardstick of
// what an HTTP server does with no work behind it.

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/testing/process.h"

namespace training::bench {

struct LoadFigures {
  double requests_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  long long errors = 0;  // socket errors and non-2xx/3xx answers
  bool ok = false;       // wrk ran and its output parsed
};

struct WrkOptions {
  int threads = 2;
  int connections = 64;
  absl::Duration length = absl::Seconds(10);
  std::string script;  // a Lua script file, or ""
  // Environment for the script (KEY=value ...), prefixed to the command.
  std::string environment;
};

// Runs wrk against `url`; prints its command line to stderr once.
LoadFigures RunWrk(const std::string& url, const WrkOptions& options);

// "12.34ms", "850.00us", "1.20s" as milliseconds; -1 when not a latency.
double WrkLatencyMs(const std::string& text);

// nginx serving `dir`/www on 127.0.0.1 with `workers` worker processes,
// keep-alive on and the access log off. Stopped when destroyed.
class NginxServer {
 public:
  // False (reason on stderr) when nginx is missing or did not start.
  // `open_file_cache` keeps the file's descriptor rather than reopening it
  // per request (off in nginx's defaults and in the set-up).
  bool Start(const std::string& dir, int workers, bool open_file_cache);
  ~NginxServer();
  int port() const { return port_; }
  const std::string& config() const { return config_; }

 private:
  std::unique_ptr<testing::ChildProcess> process_;
  int port_ = 0;
  std::string config_;
};

}  // namespace training::bench

#endif  // TRAINING_BENCH_HTTP_LOAD_H_
