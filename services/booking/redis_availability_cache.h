#ifndef TRAINING_SERVICES_BOOKING_REDIS_AVAILABILITY_CACHE_H_
#define TRAINING_SERVICES_BOOKING_REDIS_AVAILABILITY_CACHE_H_

// The availability cache in Redis, shared by every replica, with a copy of
// it in each replica's memory.
//
// In Redis: one hash per session (`v` the version, `a` the Availability),
// written by a script that refuses to replace a newer version with an older
// one, kept for the TTL; the same script appends each figure it stores to
// a change stream (training:availability:changes, trimmed to about 10,000
// entries).
//
// In memory (once StartCopy has run): every figure this replica writes,
// reads from Redis, or sees on the change stream (read every
// `follow_interval`, 50 ms by default), each served until its Redis entry
// would expire. So a listing is answered without leaving the process, a
// change made on another replica reaches this one's copy within about one
// interval, and whatever goes wrong (a lost stream entry, a stalled
// thread) no figure outlives the TTL after it was written. While Redis
// cannot be reached the copy serves nothing (reads miss and go to the
// database); it is rebuilt from Redis once Redis answers again.
//
// Redis being down is never an error here: reads miss and writes are
// dropped. Outcomes are counted in training_availability_cache_total.
//
// Thread-safe.

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "common/time/clock.h"
#include "services/booking/availability_cache.h"
#include "services/booking/availability_copy.h"

namespace training::booking {

class RedisAvailabilityCache final : public AvailabilityCache {
 public:
  // `redis` and `clock` are not owned. The copy's figures expire by
  // `clock` (Redis's own entries by Redis's).
  RedisAvailabilityCache(redis::RedisClient* redis, absl::Duration ttl,
                         const Clock* clock = Clock::Real());
  // Stops following the change stream.
  ~RedisAvailabilityCache() override;

  // Keeps the copy in memory from now on, following the change stream
  // every `follow_interval` on a thread of its own (a second call does
  // nothing). Without it, every read asks Redis and ReadInMemory answers
  // nothing.
  void StartCopy(absl::Duration follow_interval = absl::Milliseconds(50));

  bool Write(const v1::Availability& availability, int64_t version) override;
  std::vector<std::optional<v1::Availability>> Read(
      const std::vector<std::string>& sessions) override;
  std::optional<std::vector<v1::Availability>> ReadInMemory(
      const std::vector<std::string>& sessions) override;

  // Reads the change stream once, as StartCopy's thread does (rebuilding
  // the copy first when it is suspended or fell behind). For tests.
  absl::Status FollowOnce();

  static std::string KeyOf(const std::string& session);
  static constexpr char kChangesKey[] = "training:availability:changes";

 private:
  absl::Status Resynchronise() ABSL_EXCLUSIVE_LOCKS_REQUIRED(follow_mu_);
  absl::Status ReadChanges() ABSL_EXCLUSIVE_LOCKS_REQUIRED(follow_mu_);

  redis::RedisClient* redis_;
  const absl::Duration ttl_;
  const Clock* const clock_;
  const redis::Script write_script_;
  const redis::Script read_script_;
  AvailabilityCopy copy_{/*suspended=*/true};

  // Following the change stream.
  absl::Mutex follow_mu_;
  bool following_ ABSL_GUARDED_BY(follow_mu_) = false;
  std::string last_id_ ABSL_GUARDED_BY(follow_mu_);  // last entry applied
  absl::Time last_followed_ ABSL_GUARDED_BY(follow_mu_);
  bool stopping_ ABSL_GUARDED_BY(follow_mu_) = false;
  std::thread follower_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_REDIS_AVAILABILITY_CACHE_H_
