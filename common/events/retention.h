#ifndef TRAINING_COMMON_EVENTS_RETENTION_H_
#define TRAINING_COMMON_EVENTS_RETENTION_H_

// What keeps the event pipeline's storage bounded: streams trimmed below
// what every consumer group has acknowledged, but never below a retention
// floor; dead letters kept for a while longer; processed-event records
// (consumer idempotency) forgotten once no duplicate can arrive any more.
//
// Where a consumer group added later starts: groups are created at id 0,
// so a new group (notification, webhooks) reads every entry still in the
// stream: at least the last `stream_floor` of events, and everything older
// that an existing group has not acknowledged yet.

#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "common/sql/database.h"
#include "common/time/clock.h"

namespace training::events {

struct RetentionOptions {
  // Stream entries younger than this stay even when every group has
  // acknowledged them: the start of a group added later.
  absl::Duration stream_floor = absl::Hours(24 * 7);
  // How long dead letters stay (`<stream>.dead`), for inspection and replay.
  absl::Duration dead_letters = absl::Hours(24 * 30);
  // How long a consumer remembers the events it handled. A duplicate comes
  // from the stream (a relay that published again, an entry reclaimed),
  // so entries older than the floor cannot come back: keep at least that.
  absl::Duration processed_events = absl::Hours(24 * 7);
  // How often EventHousekeeping runs.
  absl::Duration interval = absl::Minutes(10);
};

// The first stream entry id a Redis stream can give an entry added at
// `time` or later (`<unix ms>-0`).
std::string StreamIdAt(absl::Time time);

// Trims `stream` to the entries some group still needs (pending, or not
// yet delivered to it) and those added since `keep_since`, whichever reach
// further back: XTRIM MINID, never dropping a pending entry (plain XTRIM
// would, and XAUTOCLAIM would then silently forget it). Returns how many
// entries were removed.
absl::StatusOr<int64_t> TrimStream(redis::RedisClient& redis,
                                   const std::string& stream,
                                   absl::Time keep_since);

// Drops the dead letters of `stream` (`<stream>.dead`) older than
// `keep_since`. Returns how many.
absl::StatusOr<int64_t> TrimDeadLetters(redis::RedisClient& redis,
                                        const std::string& stream,
                                        absl::Time keep_since);

// Deletes processed-event records made before `before`, in transactions
// of at most `batch` rows. Returns how many.
absl::StatusOr<int64_t> ForgetProcessedEvents(sql::Database& db,
                                              absl::Time before,
                                              int batch = 5000);

// Runs the above every `interval` in a thread of its own, for the streams
// a service publishes (and their dead letters) and its processed-event
// records. Failures are logged and retried at the next round.
class EventHousekeeping {
 public:
  // Nothing is owned; everything must outlive this.
  EventHousekeeping(sql::Database* db, redis::RedisClient* redis,
                    std::vector<std::string> streams, RetentionOptions options,
                    const Clock* clock);
  ~EventHousekeeping();
  EventHousekeeping(const EventHousekeeping&) = delete;
  EventHousekeeping& operator=(const EventHousekeeping&) = delete;

  // One round; the first failure, after trying everything.
  absl::Status RunOnce();

  void Start();
  void Stop();

 private:
  sql::Database* db_;
  redis::RedisClient* redis_;
  const std::vector<std::string> streams_;
  const RetentionOptions options_;
  const Clock* clock_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace training::events

#endif  // TRAINING_COMMON_EVENTS_RETENTION_H_
