#ifndef TRAINING_SERVICES_BOOKING_AVAILABILITY_CACHE_H_
#define TRAINING_SERVICES_BOOKING_AVAILABILITY_CACHE_H_

// Seat availability kept for display, so that listings do not read the
// database. Written after each committed change with the inventory's
// version, never replacing a newer version with an older one, so that
// writes racing each other (or a read racing a change) settle on the
// newest figures. A cache that cannot answer is never an error: reads miss
// and writes are dropped; entries expire, so that a write lost to a crash
// heals by itself.
//
// Implementations: RedisAvailabilityCache (redis_availability_cache.h),
// shared by every replica, each keeping a copy in memory;
// InMemoryAvailabilityCache, for tests. Thread-safe.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/booking/availability_copy.h"
#include "training/booking/v1/resources.pb.h"

namespace training::booking {

class AvailabilityCache {
 public:
  virtual ~AvailabilityCache() = default;

  // Stores `availability` unless the cache already holds `version` or newer.
  // Returns whether it was stored.
  virtual bool Write(const v1::Availability& availability, int64_t version) = 0;

  // One entry per session, in order; nullopt for a miss or when the cache
  // does not answer.
  virtual std::vector<std::optional<v1::Availability>> Read(
      const std::vector<std::string>& sessions) = 0;

  // Every session's figure, in order, when all are held in this process;
  // nullopt otherwise. Never waits on I/O: fit for gRPC's own threads.
  virtual std::optional<std::vector<v1::Availability>> ReadInMemory(
      const std::vector<std::string>& sessions) = 0;
};

// In this process only, expiring after `ttl` by `clock`.
class InMemoryAvailabilityCache final : public AvailabilityCache {
 public:
  // `clock` is not owned.
  InMemoryAvailabilityCache(const Clock* clock, absl::Duration ttl)
      : clock_(clock), ttl_(ttl) {}

  bool Write(const v1::Availability& availability, int64_t version) override;
  std::vector<std::optional<v1::Availability>> Read(
      const std::vector<std::string>& sessions) override;

  std::optional<std::vector<v1::Availability>> ReadInMemory(
      const std::vector<std::string>& sessions) override;

 private:
  const Clock* clock_;
  const absl::Duration ttl_;
  AvailabilityCopy copy_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_AVAILABILITY_CACHE_H_
