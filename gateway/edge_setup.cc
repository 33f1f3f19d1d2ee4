#include "gateway/edge_setup.h"

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config/flags.h"
#include "common/logging/log.h"

ABSL_FLAG(std::string, redis_url, "",
          "Redis the gateway replicas share rate limits through (the "
          "gateway's own ACL user); empty: each replica limits on its own. "
          "With Redis down, each replica's own limits apply.");
ABSL_FLAG(std::string, rate_limit_per_key, "50/s:100",
          "Requests with credentials, per credential (and per client "
          "address): RATE/UNIT:BURST, or off.");
ABSL_FLAG(std::string, rate_limit_per_address, "20/s:40",
          "Requests without credentials, per client address.");
ABSL_FLAG(std::string, rate_limit_anonymous_writes, "10/m:5",
          "Changes without credentials (public bookings, enquiries), per "
          "client address, on top of the per-address limit.");
ABSL_FLAG(std::string, rate_limit_enquiries, "5/h:5",
          "Enquiries (POST /v1/enquiries, and the pages' /contact form) "
          "without credentials, per client "
          "address, on top of the other limits.");
ABSL_FLAG(std::string, trusted_proxies, "",
          "Comma-separated addresses and CIDR blocks of the proxies in front "
          "whose X-Forwarded-For is believed; empty: none.");
ABSL_FLAG(std::string, cors_allowed_origins, "",
          "Comma-separated origins (https://portal.example.org) whose "
          "browser scripts may call the API; empty: none.");
ABSL_FLAG(absl::Duration, hsts_max_age, absl::ZeroDuration(),
          "Strict-Transport-Security max-age when clients reach the gateway "
          "over TLS; 0 sends none.");

namespace training::gateway {
namespace {

template <typename T>
T OrExit(absl::StatusOr<T> value, const char* flag, const char* env) {
  if (!value.ok()) {
    config::ExitIfInvalid(absl::InvalidArgumentError(
        absl::StrCat("--", flag, " (", env, "): ", value.status().message())));
  }
  return *std::move(value);
}

bool HasParam(const std::string& url, const char* name) {
  return absl::StrContains(url, absl::StrCat("?", name, "=")) ||
         absl::StrContains(url, absl::StrCat("&", name, "="));
}

}  // namespace

std::string WithEdgeTimeouts(const std::string& url) {
  std::string out = url;
  // A command 25 ms; a connection (made now and then, with AUTH) 250 ms.
  for (const auto& [param, ms] :
       {std::pair<const char*, int>{"timeout_ms", 25},
        std::pair<const char*, int>{"connect_timeout_ms", 250}}) {
    if (!HasParam(out, param)) {
      absl::StrAppend(&out, absl::StrContains(out, "?") ? "&" : "?", param, "=",
                      ms);
    }
  }
  return out;
}

std::unique_ptr<Edge> EdgeFromFlags(const transcode::RouteTable* routes) {
  auto edge = std::make_unique<Edge>();
  edge::RateLimitOptions limits;
  limits.per_key =
      OrExit(edge::ParseRateLimit(absl::GetFlag(FLAGS_rate_limit_per_key)),
             "rate_limit_per_key", "TRAINING_RATE_LIMIT_PER_KEY");
  limits.per_address =
      OrExit(edge::ParseRateLimit(absl::GetFlag(FLAGS_rate_limit_per_address)),
             "rate_limit_per_address", "TRAINING_RATE_LIMIT_PER_ADDRESS");
  limits.anonymous_writes = OrExit(
      edge::ParseRateLimit(absl::GetFlag(FLAGS_rate_limit_anonymous_writes)),
      "rate_limit_anonymous_writes", "TRAINING_RATE_LIMIT_ANONYMOUS_WRITES");
  limits.enquiries =
      OrExit(edge::ParseRateLimit(absl::GetFlag(FLAGS_rate_limit_enquiries)),
             "rate_limit_enquiries", "TRAINING_RATE_LIMIT_ENQUIRIES");
  edge->proxies =
      OrExit(edge::TrustedProxies::Parse(absl::GetFlag(FLAGS_trusted_proxies)),
             "trusted_proxies", "TRAINING_TRUSTED_PROXIES");
  edge::BrowserSafetyOptions browser;
  browser.allowed_origins =
      OrExit(edge::ParseOrigins(absl::GetFlag(FLAGS_cors_allowed_origins)),
             "cors_allowed_origins", "TRAINING_CORS_ALLOWED_ORIGINS");
  browser.hsts_max_age = absl::GetFlag(FLAGS_hsts_max_age);
  if (browser.hsts_max_age < absl::ZeroDuration()) {
    config::ExitIfInvalid(absl::InvalidArgumentError(
        "--hsts_max_age (TRAINING_HSTS_MAX_AGE): must not be negative"));
  }

  edge::RateLimiter* limiter = &edge->local;
  const std::string redis_url = absl::GetFlag(FLAGS_redis_url);
  if (!redis_url.empty()) {
    edge->redis =
        OrExit(redis::RedisClient::Create(WithEdgeTimeouts(redis_url)),
               "redis_url", "TRAINING_REDIS_URL");
    edge->shared = std::make_unique<edge::RedisRateLimiter>(edge->redis.get(),
                                                            &edge->local);
    limiter = edge->shared.get();
  }
  edge->limits =
      std::make_unique<edge::RateLimitPolicy>(limits, limiter, &edge->proxies);
  edge->browser = std::make_unique<edge::BrowserSafety>(browser, routes);
  log::Info(
      "config.edge",
      {{"rate_limits", log::Id(redis_url.empty() ? "local" : "redis")},
       {"cors_origins", static_cast<int64_t>(browser.allowed_origins.size())},
       {"hsts", browser.hsts_max_age > absl::ZeroDuration()}});
  return edge;
}

}  // namespace training::gateway
