#ifndef TRAINING_GATEWAY_EDGE_RATE_LIMIT_H_
#define TRAINING_GATEWAY_EDGE_RATE_LIMIT_H_

// Rate limits as the generic cell rate algorithm (GCRA): a token bucket
// kept as one number per key, the "theoretical arrival time" (TAT) of the
// next request at the sustained rate. A request is allowed when it is no
// more than `burst` intervals early; each one moves the TAT on by one
// interval. One number per key is what makes the shared (Redis) limiter a
// single atomic read-modify-write.

#include <array>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"

namespace training::gateway::edge {

struct RateLimit {
  double per_second = 0;  // the sustained rate
  int burst = 0;          // how many may come at once
  bool enabled() const { return per_second > 0 && burst > 0; }
  // Time between requests at the sustained rate.
  absl::Duration interval() const { return absl::Seconds(1.0 / per_second); }
};

// "50/s:100" (50 a second, bursts of 100), "10/m:5", "600/h:20"; "off"
// disables the limit. INVALID_ARGUMENT otherwise.
absl::StatusOr<RateLimit> ParseRateLimit(absl::string_view text);

struct RateDecision {
  bool allowed = true;
  int limit = 0;               // the burst
  int remaining = 0;           // requests that may still come at once
  absl::Duration reset;        // until the bucket is whole again
  absl::Duration retry_after;  // when refused: until one is allowed
};

// One GCRA step for a key whose TAT is `tat` (InfinitePast when unknown).
// `new_tat` is what to store: unchanged when refused.
struct GcraStep {
  RateDecision decision;
  absl::Time new_tat;
};
GcraStep Gcra(absl::Time tat, absl::Time now, const RateLimit& limit);

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Counts one request against `key` under `limit`. Thread-safe.
  virtual RateDecision Check(const std::string& key,
                             const RateLimit& limit) = 0;

  struct Bucket {
    std::string key;
    RateLimit limit;
  };
  // Counts one request against each bucket (each decided on its own), in
  // one go where the limiter can (one Redis round trip).
  virtual std::vector<RateDecision> CheckAll(
      const std::vector<Bucket>& buckets) {
    std::vector<RateDecision> decisions;
    for (const Bucket& b : buckets) decisions.push_back(Check(b.key, b.limit));
    return decisions;
  }
};

// This process's own buckets. Keys whose bucket is whole again are
// forgotten when a shard grows past its share of `max_keys`; if every key
// is still active then, one is evicted to make room (that key's next
// request starts a whole bucket): memory stays bounded and every request
// is still counted.
class LocalRateLimiter final : public RateLimiter {
 public:
  explicit LocalRateLimiter(const Clock* clock = Clock::Real(),
                            size_t max_keys = 200000)
      : clock_(clock), max_keys_per_shard_(max_keys / kShards + 1) {}

  RateDecision Check(const std::string& key, const RateLimit& limit) override;

  size_t KeysForTest();

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, absl::Time> tat ABSL_GUARDED_BY(mu);
    absl::Time last_sweep ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  };

  const Clock* clock_;
  const size_t max_keys_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace training::gateway::edge

#endif  // TRAINING_GATEWAY_EDGE_RATE_LIMIT_H_
