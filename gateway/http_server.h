#ifndef TRAINING_GATEWAY_HTTP_SERVER_H_
#define TRAINING_GATEWAY_HTTP_SERVER_H_

// An HTTP/1.1 server over Boost.Beast: asynchronous accept, read and write on
// a few I/O threads, keep-alive, a read timeout and a body size limit. It
// hands each request to one handler function, which must not block (the
// gateway's blocking work happens elsewhere). Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace training::gateway {

struct HttpRequest {
  std::string method;  // GET, POST, ...
  std::string target;  // path and query
  std::string body;
  std::function<std::string(const std::string& header)> header;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // Listens on host:port (0 picks a free port) with `threads` I/O threads.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& host, int port, int threads, HttpHandler handler);
  virtual ~HttpServer() = default;

  virtual int port() const = 0;
  // How often accepting a connection failed (out of descriptors, say); the
  // server then waits before trying again rather than spin.
  virtual int64_t accept_failures() const = 0;
  // Stops accepting and closes connections; joins the I/O threads.
  virtual void Stop() = 0;
};

}  // namespace training::gateway

#endif  // TRAINING_GATEWAY_HTTP_SERVER_H_
