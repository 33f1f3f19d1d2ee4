#ifndef TRAINING_GATEWAY_EDGE_FRONT_DOOR_H_
#define TRAINING_GATEWAY_EDGE_FRONT_DOOR_H_

// What every request passes before the gateway's own handlers: probes
// (/healthz, /readyz) go straight through; everything else is rate
// limited; a CORS preflight is then answered here; other answers get the
// RateLimit and CORS headers. A refusal is the API's JSON error unless a
// `restyle` hook gives another (the public pages answer people with a page).

#include <functional>
#include <string>

#include "gateway/edge/browser_safety.h"
#include "gateway/edge/rate_limit_policy.h"
#include "gateway/http/http_server.h"

namespace training::gateway::edge {

class FrontDoor {
 public:
  // Told of each request refused here: the limit's name, or "preflight".
  using Refusals = std::function<void(const std::string& method,
                                      const std::string& why, int status)>;

  // Given a request and the 429 answer refusing it, the answer to send
  // (the same, or a page with its status and headers).
  using Restyle = std::function<http::HttpResponse(const http::HttpRequest&,
                                                   http::HttpResponse)>;

  // Every pointer outlives this.
  FrontDoor(const BrowserSafety* browser, RateLimitPolicy* limits,
            http::HttpHandler inner, Refusals refusals,
            Restyle restyle = nullptr)
      : browser_(browser),
        limits_(limits),
        inner_(std::move(inner)),
        refusals_(std::move(refusals)),
        restyle_(std::move(restyle)) {}

  void Handle(http::HttpRequest request, http::Responder respond);

 private:
  const BrowserSafety* browser_;
  RateLimitPolicy* limits_;
  http::HttpHandler inner_;
  Refusals refusals_;
  Restyle restyle_;
};

}  // namespace training::gateway::edge

#endif  // TRAINING_GATEWAY_EDGE_FRONT_DOOR_H_
