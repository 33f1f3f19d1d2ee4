#ifndef TRAINING_SERVICES_BOOKING_REDIS_AVAILABILITY_CACHE_H_
#define TRAINING_SERVICES_BOOKING_REDIS_AVAILABILITY_CACHE_H_

// The availability cache in Redis, shared by every replica: one hash per
// session (`v` the version, `a` the Availability), written by a script that
// refuses to replace a newer version with an older one, kept for a short
// TTL. Redis being down is never an error here: reads miss and writes are
// dropped. Outcomes are counted in training_availability_cache_total.
//
// Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "services/booking/availability_cache.h"

namespace training::booking {

class RedisAvailabilityCache final : public AvailabilityCache {
 public:
  // `redis` is not owned.
  RedisAvailabilityCache(redis::RedisClient* redis, absl::Duration ttl);

  bool Write(const v1::Availability& availability, int64_t version) override;
  std::vector<std::optional<v1::Availability>> Read(
      const std::vector<std::string>& sessions) override;

  static std::string KeyOf(const std::string& session);

 private:
  redis::RedisClient* redis_;
  const absl::Duration ttl_;
  const redis::Script write_script_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_REDIS_AVAILABILITY_CACHE_H_
