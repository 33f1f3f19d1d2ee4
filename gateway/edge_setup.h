#ifndef TRAINING_GATEWAY_EDGE_SETUP_H_
#define TRAINING_GATEWAY_EDGE_SETUP_H_

// The gateway's edge (gateway/edge) as its flags configure it: rate limits
// (shared through Redis when --redis_url is set), trusted proxies, CORS
// origins and HSTS.

#include <memory>
#include <string>

#include "common/redis/redis_client.h"
#include "gateway/edge/browser_safety.h"
#include "gateway/edge/client_address.h"
#include "gateway/edge/rate_limit.h"
#include "gateway/edge/rate_limit_policy.h"
#include "gateway/edge/redis_rate_limiter.h"
#include "gateway/transcode/route_table.h"

namespace training::gateway {

struct Edge {
  std::unique_ptr<redis::RedisClient> redis;  // with --redis_url only
  edge::LocalRateLimiter local;
  std::unique_ptr<edge::RedisRateLimiter> shared;
  edge::TrustedProxies proxies;
  std::unique_ptr<edge::RateLimitPolicy> limits;
  std::unique_ptr<edge::BrowserSafety> browser;
};

// From the flags; exits 2 naming the flag when one is not valid.
std::unique_ptr<Edge> EdgeFromFlags(const transcode::RouteTable* routes);

// The Redis URL with the short timeouts (25 ms a command, 250 ms to
// connect) a check on the request
// path needs, unless it sets its own: the check runs on an I/O thread, so
// a slow Redis must not hold requests up; a healthy one answers in well
// under a millisecond, and after three timeouts the client's breaker
// fails fast, to the local buckets.
std::string WithEdgeTimeouts(const std::string& url);

}  // namespace training::gateway

#endif  // TRAINING_GATEWAY_EDGE_SETUP_H_
