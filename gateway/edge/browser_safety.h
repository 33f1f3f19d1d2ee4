#ifndef TRAINING_GATEWAY_EDGE_BROWSER_SAFETY_H_
#define TRAINING_GATEWAY_EDGE_BROWSER_SAFETY_H_

// What keeps browsers safe with the gateway's answers: CORS for the
// origins configured (preflights answered from the route table, so a
// preflight allows exactly the methods the path has), and security headers
// on every response, JSON, refusals and the public pages alike.

#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "gateway/http/http_server.h"
#include "gateway/transcode/route_table.h"

namespace training::gateway::edge {

struct BrowserSafetyOptions {
  // Origins allowed to call from a browser ("https://portal.example.org");
  // empty: none. No wildcard: an allowed origin is a decision.
  std::set<std::string> allowed_origins;
  // Strict-Transport-Security's max-age; zero sends none (set it when
  // clients reach the gateway over TLS, at a proxy or here).
  absl::Duration hsts_max_age = absl::ZeroDuration();
};

// Comma-separated origins, each scheme://host[:port] with no path;
// INVALID_ARGUMENT naming the first that is not.
absl::StatusOr<std::set<std::string>> ParseOrigins(absl::string_view list);

class BrowserSafety {
 public:
  // `routes` outlives this.
  BrowserSafety(BrowserSafetyOptions options,
                const transcode::RouteTable* routes)
      : options_(std::move(options)), routes_(routes) {}

  // The answer to a CORS preflight (OPTIONS with Origin and
  // Access-Control-Request-Method); nullopt when `request` is not one.
  // 204 with the allowed methods and headers for an allowed origin and a
  // method the path has; 403 for an origin not allowed; 404 for a path
  // with no routes; 405 for a method it does not have.
  std::optional<http::HttpResponse> Preflight(
      const http::HttpRequest& request) const;

  // The security headers, for every response the server writes
  // (HttpServerOptions::common_headers).
  http::Headers SecurityHeaders() const;

  // Adds the CORS headers for an allowed `origin` (the request's Origin).
  void Decorate(const std::string& origin, http::HttpResponse* response) const;

  // The Content-Security-Policy every response carries: nothing may load
  // from elsewhere, no inline script, no framing.
  static const char* ContentSecurityPolicy();

 private:
  bool Allowed(const std::string& origin) const {
    return options_.allowed_origins.count(absl::AsciiStrToLower(origin)) > 0;
  }

  const BrowserSafetyOptions options_;
  const transcode::RouteTable* routes_;
};

}  // namespace training::gateway::edge

#endif  // TRAINING_GATEWAY_EDGE_BROWSER_SAFETY_H_
