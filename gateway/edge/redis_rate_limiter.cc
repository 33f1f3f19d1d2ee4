#include "gateway/edge/redis_rate_limiter.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace training::gateway::edge {
namespace {

// GCRA as rate_limit.cc's Gcra, in microseconds on Redis's clock, for
// each bucket of a request. KEYS: the buckets. ARGV: interval (µs) and
// burst of each, in turn. Returns {allowed, remaining, retry_after µs,
// reset µs} for each, one flat list.
constexpr char kGcraScript[] = R"lua(
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local out = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key)) or now
  local start = math.max(tat, now)
  local new_tat = start + interval
  local allow_at = new_tat - burst * interval
  if now < allow_at then
    for _, v in ipairs({0, 0, allow_at - now, start - now}) do
      out[#out + 1] = v
    end
  else
    redis.call('SET', key, string.format('%.0f', new_tat),
               'PX', math.ceil((new_tat - now) / 1000) + 1)
    local remaining = math.floor((now + burst * interval - new_tat) / interval)
    for _, v in ipairs({1, remaining, 0, new_tat - now}) do
      out[#out + 1] = v
    end
  end
end
return out
)lua";

}  // namespace

RedisRateLimiter::RedisRateLimiter(redis::RedisClient* redis,
                                   RateLimiter* fallback)
    : redis_(redis), fallback_(fallback), script_(kGcraScript) {}

RateDecision RedisRateLimiter::Check(const std::string& key,
                                     const RateLimit& limit) {
  return CheckAll({{key, limit}}).front();
}

std::vector<RateDecision> RedisRateLimiter::CheckAll(
    const std::vector<Bucket>& buckets) {
  std::vector<RateDecision> decisions(buckets.size());
  std::vector<size_t> asked;  // which buckets go to Redis (limits on)
  std::vector<std::string> keys, args;
  for (size_t i = 0; i < buckets.size(); ++i) {
    const RateLimit& limit = buckets[i].limit;
    if (!limit.enabled()) continue;
    asked.push_back(i);
    keys.push_back(absl::StrCat("training:ratelimit:", buckets[i].key));
    args.push_back(absl::StrCat(std::max<int64_t>(
        1, static_cast<int64_t>(std::llround(1e6 / limit.per_second)))));
    args.push_back(absl::StrCat(limit.burst));
  }
  if (asked.empty()) return decisions;
  absl::StatusOr<redis::Reply> reply = redis_->Eval(script_, keys, args);
  if (!reply.ok() || reply->type != redis::Reply::Type::kArray ||
      reply->elements.size() != 4 * asked.size()) {
    fallbacks_.fetch_add(1);
    return fallback_->CheckAll(buckets);
  }
  for (size_t j = 0; j < asked.size(); ++j) {
    const auto* e = &reply->elements[4 * j];
    RateDecision& decision = decisions[asked[j]];
    decision.allowed = e[0].integer == 1;
    decision.limit = buckets[asked[j]].limit.burst;
    decision.remaining = static_cast<int>(e[1].integer);
    decision.retry_after = absl::Microseconds(e[2].integer);
    decision.reset = absl::Microseconds(e[3].integer);
  }
  return decisions;
}

}  // namespace training::gateway::edge
