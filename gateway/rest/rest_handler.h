#ifndef TRAINING_GATEWAY_REST_REST_HANDLER_H_
#define TRAINING_GATEWAY_REST_REST_HANDLER_H_

// The REST/JSON API: for each HTTP request, find its route, build the gRPC
// request (path, query, body, Idempotency-Key, If-Match), call the backend
// with the caller's credentials and a deadline, and answer with the mapped
// response (ETag, 304, Cache-Control) or the one JSON error shape. Nothing
// here is per route. Never blocks: the backend's answer arrives on a gRPC
// thread and goes back through the Responder.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/http/http_server.h"
#include "gateway/transcode/route_table.h"
#include "gateway/upstream/backends.h"
#include "google/protobuf/message.h"

namespace training::gateway {

struct RestOptions {
  // The deadline of a call when the client asks for none shorter
  // (X-Request-Timeout): reads (GET) and changes.
  absl::Duration read_deadline = absl::Seconds(5);
  absl::Duration write_deadline = absl::Seconds(10);
  // Cache-Control max-age of anonymous GETs of public resources.
  absl::Duration public_max_age = absl::Seconds(5);
};

// What the handler reports of each request it answered, for metrics and the
// access log: no personal data, no query string.
struct RequestReport {
  std::string method;  // the HTTP method
  std::string route;   // the route's path template, "unmatched" when none
  int status = 0;
  absl::Duration duration;
  absl::Duration upstream;  // time spent waiting for the backend
  std::string request_id;
};

class RestHandler {
 public:
  using Reporter = std::function<void(const RequestReport&)>;

  // `routes` and `backends` outlive this.
  RestHandler(const transcode::RouteTable* routes, const Backends* backends,
              RestOptions options, Reporter reporter);
  ~RestHandler();

  void Handle(http::HttpRequest request, http::Responder respond);

  // Cancels the backend calls still in flight and waits (up to `timeout`)
  // for their answers to be sent and their connections let go: after a
  // drain, before the server goes. False when some are still out.
  bool CancelAllAndWait(absl::Duration timeout);

 private:
  struct Call;
  // 404, or 405 with Allow when the path has routes for other methods.
  http::HttpResponse NoRoute(const http::HttpRequest& request) const;
  // The route class's deadline, shortened by X-Request-Timeout.
  absl::StatusOr<absl::Duration> DeadlineFor(
      const transcode::Route& route, const http::HttpRequest& request) const;
  // The gRPC request: path, query and body, then Idempotency-Key and
  // If-Match.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> MapRequest(
      const transcode::Route& route, std::vector<std::string> path_values,
      const http::HttpRequest& request, const std::string& authorization) const;
  void Finish(Call* call, http::HttpResponse response);
  void OnBackendAnswer(Call* call, const grpc::Status& status);

  const transcode::RouteTable* routes_;
  const Backends* backends_;
  const RestOptions options_;
  Reporter reporter_;
  absl::Mutex mu_;
  std::map<Call*, std::unique_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace training::gateway

#endif  // TRAINING_GATEWAY_REST_REST_HANDLER_H_
