#ifndef TRAINING_GATEWAY_EDGE_REDIS_RATE_LIMITER_H_
#define TRAINING_GATEWAY_EDGE_REDIS_RATE_LIMITER_H_

// Buckets shared by every gateway replica through Redis: one Lua script per
// request, for all its buckets (GCRA on Redis's own clock, so replicas' clocks
// need not agree), keys under `training:ratelimit:` as the gateway's ACL user
// allows. When Redis cannot answer, the check falls back to this replica's
// local buckets: limits stay on (each replica's own), and nothing is refused
// for Redis's sake.

#include <atomic>
#include <memory>
#include <string>

#include "common/redis/redis_client.h"
#include "gateway/edge/rate_limit.h"

namespace training::gateway::edge {

class RedisRateLimiter final : public RateLimiter {
 public:
  // `redis` and `fallback` outlive this.
  RedisRateLimiter(redis::RedisClient* redis, RateLimiter* fallback);

  RateDecision Check(const std::string& key, const RateLimit& limit) override;
  std::vector<RateDecision> CheckAll(
      const std::vector<Bucket>& buckets) override;

  // Checks answered by the fallback because Redis could not.
  int64_t fallbacks() const { return fallbacks_.load(); }

 private:
  redis::RedisClient* redis_;
  RateLimiter* fallback_;
  const redis::Script script_;
  std::atomic<int64_t> fallbacks_{0};
};

}  // namespace training::gateway::edge

#endif  // TRAINING_GATEWAY_EDGE_REDIS_RATE_LIMITER_H_
