#ifndef TRAINING_GATEWAY_HTTP_HTTP_SERVER_H_
#define TRAINING_GATEWAY_HTTP_HTTP_SERVER_H_

// An HTTP/1.1 server over Boost.Beast: asynchronous accept, read and write
// on a few I/O threads; keep-alive; limits on the body, the header's size
// and its number of fields; timeouts for an idle connection, for reading a
// request once it has begun and for writing the response, so that a slow
// client never pins a thread; gzip of responses for clients that accept
// it; and a drain that lets requests in flight finish.
//
// HEAD is served as GET without the body. Each request goes to one
// handler, which must not block: it answers
// through the Responder it is given, at once or later from any thread
// (after a backend's answer, say).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace training::gateway::http {

struct HttpRequest {
  std::string method;  // GET, POST, ...
  std::string target;  // path and query, as sent
  // Field names in lower case, in the order sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The connection's peer ("192.0.2.7", "2001:db8::1"); a proxy's when one
  // is in front (gateway/edge/client_address.h decides whom to believe).
  std::string peer_address;

  // The first value of a header (any case), "" when absent.
  std::string Header(absl::string_view name) const;
  absl::string_view Path() const;
  absl::string_view Query() const;  // after '?', "" when none
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;  // besides Content-Type, -Length, -Encoding
};

// Called exactly once per request, from any thread.
using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest, Responder)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free one
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  size_t max_header_fields = 100;
  // How long a connection may wait for the next request to begin.
  absl::Duration idle_timeout = absl::Seconds(60);
  // How long a request may take to arrive once its first byte has.
  absl::Duration read_timeout = absl::Seconds(15);
  // How long the response may take to leave.
  absl::Duration write_timeout = absl::Seconds(15);
  // Bodies smaller than this go plain: gzip's header costs more than it
  // saves.
  size_t gzip_min_bytes = 1024;
  // Headers on every response, the server's own refusals included (the
  // security headers).
  Headers common_headers;
  // Told the status of each request the server refuses itself (400, 413,
  // 431) before any handler sees it; for metrics and logs.
  std::function<void(int status)> on_refused;
};

class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, HttpHandler handler);
  virtual ~HttpServer() = default;

  virtual int port() const = 0;
  // How often accepting a connection failed (out of descriptors, say); the
  // server then waits before trying again rather than spin.
  virtual int64_t accept_failures() const = 0;
  // Requests whose response has not yet been written.
  virtual int64_t in_flight() const = 0;
  // Stops accepting, closes idle connections and those that finish a
  // response, and waits up to `timeout` for requests in flight. True when
  // all finished. Then stops as Stop() does.
  virtual bool Drain(absl::Duration timeout) = 0;
  // Stops accepting and closes connections; joins the I/O threads.
  virtual void Stop() = 0;
};

}  // namespace training::gateway::http

#endif  // TRAINING_GATEWAY_HTTP_HTTP_SERVER_H_
