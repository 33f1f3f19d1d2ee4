#ifndef TRAINING_GATEWAY_WEB_WEB_HANDLER_H_
#define TRAINING_GATEWAY_WEB_WEB_HANDLER_H_

// The public pages' router: every request that is not the API's (under
// /v1/) or one of the gateway's own endpoints comes here. Assets are
// answered at once from memory; pages, which call the services and block,
// run on a bounded worker pool, so that the HTTP threads never wait (a
// full pool answers 503 at once). Each request is reported by its route
// template, never its path: paths hold booking references and tokens.

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "common/runtime/worker_pool.h"
#include "gateway/http/http_server.h"
#include "gateway/web/static_assets.h"
#include "gateway/web/web_pages.h"

namespace training::gateway::web {

struct PageReport {
  std::string method;
  std::string route;  // `/courses/{course}/sessions/{session}`, "unmatched"
  int status = 0;
  absl::Duration duration;
  std::string request_id;
};

class WebHandler {
 public:
  using Reporter = std::function<void(const PageReport&)>;

  // Everything given outlives this.
  WebHandler(const WebPages* pages, const StaticAssets* assets,
             runtime::WorkerPool* pool, Reporter reporter);

  // Whether a path is the pages' rather than the API's.
  static bool IsPagePath(absl::string_view path);

  void Handle(http::HttpRequest request, http::Responder respond) const;

 private:
  const WebPages* pages_;
  const StaticAssets* assets_;
  runtime::WorkerPool* pool_;
  Reporter reporter_;
};

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_WEB_HANDLER_H_
