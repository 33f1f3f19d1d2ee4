#include "gateway/edge/redis_rate_limiter.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace training::gateway::edge {
namespace {

// GCRA as rate_limit.cc's Gcra, in microseconds on Redis's clock.
// KEYS[1]: the bucket. ARGV: interval (µs), burst.
// Returns {allowed, remaining, retry_after µs, reset µs}.
constexpr char kGcraScript[] = R"lua(
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local start = math.max(tat, now)
local new_tat = start + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return {0, 0, allow_at - now, start - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat),
           'PX', math.ceil((new_tat - now) / 1000) + 1)
local remaining = math.floor((now + burst * interval - new_tat) / interval)
return {1, remaining, 0, new_tat - now}
)lua";

}  // namespace

RedisRateLimiter::RedisRateLimiter(redis::RedisClient* redis,
                                   RateLimiter* fallback)
    : redis_(redis), fallback_(fallback), script_(kGcraScript) {}

RateDecision RedisRateLimiter::Check(const std::string& key,
                                     const RateLimit& limit) {
  if (!limit.enabled()) return RateDecision{};
  const int64_t interval_us = std::max<int64_t>(
      1, static_cast<int64_t>(std::llround(1e6 / limit.per_second)));
  absl::StatusOr<redis::Reply> reply =
      redis_->Eval(script_, {absl::StrCat("training:ratelimit:", key)},
                   {absl::StrCat(interval_us), absl::StrCat(limit.burst)});
  if (!reply.ok() || reply->type != redis::Reply::Type::kArray ||
      reply->elements.size() != 4) {
    fallbacks_.fetch_add(1);
    return fallback_->Check(key, limit);
  }
  const auto& e = reply->elements;
  RateDecision decision;
  decision.allowed = e[0].integer == 1;
  decision.limit = limit.burst;
  decision.remaining = static_cast<int>(e[1].integer);
  decision.retry_after = absl::Microseconds(e[2].integer);
  decision.reset = absl::Microseconds(e[3].integer);
  return decision;
}

}  // namespace training::gateway::edge
