#include "gateway/edge/browser_safety.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "gateway/transcode/error_mapping.h"

namespace training::gateway::edge {
namespace {

// Request headers a browser may send across origins: those the REST API
// reads (README, "The REST API").
constexpr char kAllowedHeaders[] =
    "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, "
    "X-Request-Timeout, X-Request-Id";
// Response headers a script may read.
constexpr char kExposedHeaders[] =
    "ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, "
    "RateLimit-Reset, X-Request-Id";

http::HttpResponse Error(const absl::Status& status, int http_status) {
  transcode::HttpError error = transcode::RenderError(status, http_status);
  http::HttpResponse response;
  response.status = error.status;
  response.body = std::move(error.body);
  response.headers = std::move(error.headers);
  return response;
}

bool HasHeader(const http::HttpResponse& response, absl::string_view name) {
  return std::any_of(
      response.headers.begin(), response.headers.end(),
      [&](const auto& h) { return absl::EqualsIgnoreCase(h.first, name); });
}

}  // namespace

absl::StatusOr<std::set<std::string>> ParseOrigins(absl::string_view list) {
  std::set<std::string> origins;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) continue;
    absl::string_view rest = entry;
    const bool scheme_ok = absl::ConsumePrefix(&rest, "https://") ||
                           absl::ConsumePrefix(&rest, "http://");
    if (!scheme_ok || rest.empty() || absl::StrContains(rest, "/") ||
        absl::StrContains(rest, "*")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", entry, "\" is not an origin (scheme://host[:port], no path)"));
    }
    // Browsers send the scheme and host in lower case.
    origins.insert(absl::AsciiStrToLower(entry));
  }
  return origins;
}

const char* BrowserSafety::ContentSecurityPolicy() {
  return "default-src 'none'; script-src 'self'; style-src 'self'; "
         "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
         "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
}

std::optional<http::HttpResponse> BrowserSafety::Preflight(
    const http::HttpRequest& request) const {
  const std::string origin = request.Header("origin");
  const std::string wanted = request.Header("access-control-request-method");
  if (request.method != "OPTIONS" || origin.empty() || wanted.empty()) {
    return std::nullopt;
  }
  if (!Allowed(origin)) {
    return Error(absl::PermissionDeniedError(
                     "this origin may not call the API from a browser"),
                 403);
  }
  const std::vector<std::string> methods =
      routes_->AllowedMethods(request.Path());
  if (methods.empty()) {
    return Error(absl::NotFoundError("no such path"), 404);
  }
  if (std::find(methods.begin(), methods.end(), wanted) == methods.end()) {
    http::HttpResponse refused =
        Error(InvalidArgumentError({{"Access-Control-Request-Method",
                                     "this path does not take that method"}}),
              405);
    refused.headers.emplace_back("Allow", absl::StrJoin(methods, ", "));
    return refused;
  }
  http::HttpResponse response;
  response.status = 204;
  response.content_type.clear();
  response.headers = {
      {"Access-Control-Allow-Origin", origin},
      {"Access-Control-Allow-Methods", absl::StrJoin(methods, ", ")},
      {"Access-Control-Allow-Headers", kAllowedHeaders},
      {"Access-Control-Max-Age", "600"},
      {"Vary", "Origin"}};
  return response;
}

http::Headers BrowserSafety::SecurityHeaders() const {
  // X-Content-Type-Options and a default Cache-Control: no-store come
  // from the HTTP server itself.
  http::Headers headers = {{"Referrer-Policy", "no-referrer"},
                           {"X-Frame-Options", "DENY"},
                           {"Content-Security-Policy", ContentSecurityPolicy()},
                           {"Cross-Origin-Opener-Policy", "same-origin"}};
  if (options_.hsts_max_age > absl::ZeroDuration()) {
    headers.emplace_back(
        "Strict-Transport-Security",
        absl::StrCat("max-age=", absl::ToInt64Seconds(options_.hsts_max_age),
                     "; includeSubDomains"));
  }
  return headers;
}

void BrowserSafety::Decorate(const std::string& origin,
                             http::HttpResponse* response) const {
  auto& headers = response->headers;
  if (!origin.empty() && Allowed(origin) &&
      !HasHeader(*response, "Access-Control-Allow-Origin")) {
    headers.emplace_back("Access-Control-Allow-Origin", origin);
    headers.emplace_back("Access-Control-Expose-Headers", kExposedHeaders);
  }
  // The answer depends on Origin whenever CORS is configured at all.
  if (!options_.allowed_origins.empty() &&
      !HasHeader(*response, "Access-Control-Max-Age")) {
    headers.emplace_back("Vary", "Origin");
  }
}

}  // namespace training::gateway::edge
