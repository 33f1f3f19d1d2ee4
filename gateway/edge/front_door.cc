#include "gateway/edge/front_door.h"

#include <utility>

namespace training::gateway::edge {

void FrontDoor::Handle(http::HttpRequest request, http::Responder respond) {
  const std::string origin = request.Header("origin");
  const absl::string_view path = request.Path();
  if (request.method == "GET" && (path == "/healthz" || path == "/readyz")) {
    return inner_(std::move(request), std::move(respond));
  }
  // Preflights count too: answering them costs as much as a refusal.
  RateLimitPolicy::Outcome limited = limits_->Check(request);
  if (!limited.allowed) {
    refusals_(request.method, limited.refused_by, 429);
    http::HttpResponse response = RateLimitPolicy::TooManyRequests(limited);
    if (restyle_) response = restyle_(request, std::move(response));
    browser_->Decorate(origin, &response);
    return respond(std::move(response));
  }
  if (auto preflight = browser_->Preflight(request)) {
    if (preflight->status != 204) {
      refusals_(request.method, "preflight", preflight->status);
    }
    return respond(*std::move(preflight));
  }
  inner_(std::move(request),
         [this, origin, headers = std::move(limited.headers),
          respond = std::move(respond)](http::HttpResponse response) mutable {
           for (auto& header : headers) {
             response.headers.push_back(std::move(header));
           }
           browser_->Decorate(origin, &response);
           respond(std::move(response));
         });
}

}  // namespace training::gateway::edge
