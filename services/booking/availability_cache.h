#ifndef TRAINING_SERVICES_BOOKING_AVAILABILITY_CACHE_H_
#define TRAINING_SERVICES_BOOKING_AVAILABILITY_CACHE_H_

// Seat availability in Redis, for display only. Written through after each
// committed change with the inventory's version, by a script that refuses
// to replace a newer version with an older one, and kept for a short TTL,
// so that a write lost to a crash or an outage heals by itself. Redis being
// down is never an error here: reads miss and writes are dropped.
//
// Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "training/booking/v1/resources.pb.h"

namespace training::booking {

class AvailabilityCache {
 public:
  // `redis` is not owned.
  AvailabilityCache(redis::RedisClient* redis, absl::Duration ttl);

  // Stores `availability` unless the cache already holds `version` or newer.
  // Returns whether it was stored.
  bool Write(const v1::Availability& availability, int64_t version);

  // Drops the cached value (before a change whose commit this process does
  // not control, such as an event consumer's).
  void Invalidate(const std::string& session);

  // One entry per session, in order; nullopt for a miss or when Redis does
  // not answer.
  std::vector<std::optional<v1::Availability>> Read(
      const std::vector<std::string>& sessions);

  static std::string KeyOf(const std::string& session);

 private:
  redis::RedisClient* redis_;
  const absl::Duration ttl_;
  const redis::Script write_script_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_AVAILABILITY_CACHE_H_
