#include "bench/http_load.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace training::bench {

double WrkLatencyMs(const std::string& text) {
  absl::string_view t = text;
  double scale = 0;
  if (absl::ConsumeSuffix(&t, "us")) {
    scale = 1e-3;
  } else if (absl::ConsumeSuffix(&t, "ms")) {
    scale = 1;
  } else if (absl::ConsumeSuffix(&t, "s")) {
    scale = 1e3;
  } else {
    return -1;
  }
  double value = 0;
  if (!absl::SimpleAtod(t, &value)) return -1;
  return value * scale;
}

LoadFigures RunWrk(const std::string& url, const WrkOptions& options) {
  std::string command = absl::StrCat(
      options.environment, options.environment.empty() ? "" : " ", "wrk -t",
      options.threads, " -c", options.connections, " -d",
      absl::ToInt64Seconds(options.length), "s --latency",
      options.script.empty() ? "" : " -s " + options.script, " ", url, " 2>&1");
  static bool shown = false;
  if (!shown) {
    std::fprintf(stderr, "load: %s\n", command.c_str());
    shown = true;
  }
  LoadFigures figures;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return figures;
  std::string output;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    output.append(buffer, n);
  }
  if (pclose(pipe) != 0) {
    std::fprintf(stderr, "wrk failed:\n%s\n", output.c_str());
    return figures;
  }
  bool rate = false;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    std::vector<std::string> words =
        absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (words.size() >= 2 && words[0] == "Requests/sec:") {
      rate = absl::SimpleAtod(words[1], &figures.requests_per_second);
    } else if (words.size() == 2 && words[0] == "50%") {
      figures.p50_ms = WrkLatencyMs(words[1]);
    } else if (words.size() == 2 && words[0] == "99%") {
      figures.p99_ms = WrkLatencyMs(words[1]);
    } else if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(line),
                                "Non-2xx or 3xx responses:")) {
      long long n = 0;
      if (absl::SimpleAtoi(words.back(), &n)) figures.errors += n;
    } else if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(line),
                                "Socket errors:")) {
      // "Socket errors: connect 0, read 0, write 0, timeout 0"
      for (size_t i = 2; i + 1 < words.size(); i += 2) {
        long long n = 0;
        std::string count(absl::StripSuffix(words[i + 1], ","));
        if (absl::SimpleAtoi(count, &n)) figures.errors += n;
      }
    }
  }
  figures.ok = rate && figures.p50_ms >= 0 && figures.p99_ms >= 0;
  if (!figures.ok) std::fprintf(stderr, "wrk output:\n%s\n", output.c_str());
  return figures;
}

bool NginxServer::Start(const std::string& dir, int workers,
                        bool open_file_cache) {
  if (access("/usr/sbin/nginx", X_OK) != 0) {
    std::fprintf(stderr,
                 "nginx is not installed: apt-get install nginx-light\n");
    return false;
  }
  port_ = testing::FreePort();
  std::ostringstream conf;
  conf << "worker_processes " << workers << ";\n"
       << "daemon off;\n"
       << "pid " << dir << "/nginx.pid;\n"
       << "error_log " << dir << "/nginx-error.log;\n"
       << (geteuid() == 0 ? "user root;\n" : "")
       << "events { worker_connections 4096; }\n"
       << "http {\n"
       << "  access_log off;\n"
       << (open_file_cache ? "  open_file_cache max=16 inactive=60s;\n"
                             "  open_file_cache_valid 60s;\n"
                           : "")
       << "  keepalive_timeout 60s;\n"
       << "  keepalive_requests 100000000;\n"
       << "  default_type application/json;\n"
       << "  client_body_temp_path " << dir << "/body;\n"
       << "  proxy_temp_path " << dir << "/proxy;\n"
       << "  fastcgi_temp_path " << dir << "/fastcgi;\n"
       << "  uwsgi_temp_path " << dir << "/uwsgi;\n"
       << "  scgi_temp_path " << dir << "/scgi;\n"
       << "  server {\n"
       << "    listen 127.0.0.1:" << port_ << ";\n"
       << "    root " << dir << "/www;\n"
       << "  }\n"
       << "}\n";
  config_ = conf.str();
  std::ofstream(dir + "/nginx.conf") << config_;
  process_ = std::make_unique<testing::ChildProcess>(
      "/usr/sbin/nginx",
      std::vector<std::string>{"-c", dir + "/nginx.conf", "-p", dir},
      std::map<std::string, std::string>{}, dir + "/nginx.log");
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    if (testing::HttpGet(port_, "/").has_value() ||
        testing::HttpGet(port_, "/session.json").has_value()) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  std::fprintf(stderr, "nginx did not start:\n%s\n", process_->Log().c_str());
  return false;
}

NginxServer::~NginxServer() {
  if (process_ != nullptr) {
    process_->Signal(SIGQUIT);  // nginx's graceful stop
    process_->Wait(absl::Seconds(10));
  }
}

}  // namespace training::bench
