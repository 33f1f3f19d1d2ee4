#include "gateway/edge/rate_limit.h"

#include <cmath>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace training::gateway::edge {

absl::StatusOr<RateLimit> ParseRateLimit(absl::string_view text) {
  if (text == "off") return RateLimit{};
  const auto invalid = [&] {
    return absl::InvalidArgumentError(
        "must be RATE/UNIT:BURST (\"50/s:100\", \"10/m:5\") or \"off\"");
  };
  std::vector<absl::string_view> rate_burst = absl::StrSplit(text, ':');
  if (rate_burst.size() != 2) return invalid();
  std::vector<absl::string_view> count_unit =
      absl::StrSplit(rate_burst[0], '/');
  double count = 0;
  int burst = 0;
  if (count_unit.size() != 2 || !absl::SimpleAtod(count_unit[0], &count) ||
      !absl::SimpleAtoi(rate_burst[1], &burst) || !(count > 0) ||
      !std::isfinite(count) || burst <= 0) {
    return invalid();
  }
  double seconds = 0;
  if (count_unit[1] == "s") {
    seconds = 1;
  } else if (count_unit[1] == "m") {
    seconds = 60;
  } else if (count_unit[1] == "h") {
    seconds = 3600;
  } else {
    return invalid();
  }
  return RateLimit{count / seconds, burst};
}

GcraStep Gcra(absl::Time tat, absl::Time now, const RateLimit& limit) {
  const absl::Duration interval = limit.interval();
  const absl::Time start = std::max(tat, now);
  const absl::Time new_tat = start + interval;
  // The earliest this request may come: `burst` intervals before new_tat.
  const absl::Time allow_at = new_tat - interval * limit.burst;
  GcraStep step;
  step.decision.limit = limit.burst;
  if (now < allow_at) {
    step.decision.allowed = false;
    step.decision.retry_after = allow_at - now;
    step.decision.reset = start - now;
    step.new_tat = tat;
    return step;
  }
  step.decision.remaining = static_cast<int>(
      std::floor((now + interval * limit.burst - new_tat) / interval));
  step.decision.reset = new_tat - now;
  step.new_tat = new_tat;
  return step;
}

RateDecision LocalRateLimiter::Check(const std::string& key,
                                     const RateLimit& limit) {
  if (!limit.enabled()) return RateDecision{};
  const absl::Time now = clock_->Now();
  Shard& shard = shards_[absl::HashOf(key) % kShards];
  absl::MutexLock lock(&shard.mu);
  auto found = shard.tat.find(key);
  if (found == shard.tat.end() && shard.tat.size() >= max_keys_per_shard_) {
    // A key whose TAT has passed has a whole bucket: forgetting it changes
    // nothing. Swept at most every 100 ms, so that a flood of new keys
    // does not scan the shard for each.
    if (now - shard.last_sweep >= absl::Milliseconds(100)) {
      shard.last_sweep = now;
      absl::erase_if(shard.tat,
                     [now](const auto& entry) { return entry.second <= now; });
    }
    // Still full of active keys (a flood of addresses): one goes, as good
    // as any; limits stay on for every key, memory stays bounded.
    if (shard.tat.size() >= max_keys_per_shard_) {
      shard.tat.erase(shard.tat.begin());
    }
  }
  const absl::Time tat =
      found == shard.tat.end() ? absl::InfinitePast() : found->second;
  GcraStep step = Gcra(tat, now, limit);
  if (step.decision.allowed) shard.tat[key] = step.new_tat;
  return step.decision;
}

size_t LocalRateLimiter::KeysForTest() {
  size_t n = 0;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    n += shard.tat.size();
  }
  return n;
}

}  // namespace training::gateway::edge
