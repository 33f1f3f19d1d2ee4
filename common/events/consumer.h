#ifndef TRAINING_COMMON_EVENTS_CONSUMER_H_
#define TRAINING_COMMON_EVENTS_CONSUMER_H_

// A consumer-group consumer of one Redis stream, with an effectively-once
// effect on top of at-least-once delivery:
//
// * Each entry is handled in one database transaction that also records
//   (group, event id) in processed_events; a duplicate (the relay
//   republished, or an entry was reclaimed after a crash before XACK) finds
//   the record and is acknowledged without running the handler again.
// * Entries left pending by a dead consumer for `claim_idle` are taken over
//   with XAUTOCLAIM.
// * An entry delivered `max_deliveries` times without success, or whose
//   payload does not parse, goes to the dead-letter stream
//   (`<stream>.dead`) with the reason, and is acknowledged. Delivery counts
//   come from XPENDING (XAUTOCLAIM does not return them).
//
// Not thread-safe: one consumer object per thread; run several (different
// names) for parallelism.

#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "common/sql/database.h"
#include "training/events/v1/events.pb.h"

namespace training::events {

// Runs inside the transaction that records the event as processed; a
// non-OK status rolls both back and the entry is retried later.
using EventHandler = std::function<absl::Status(
    sql::Transaction& tx, const training::events::v1::Event& event)>;

struct ConsumerOptions {
  std::string stream;
  std::string group;
  std::string consumer;  // unique per process/thread
  int batch_size = 100;
  // XREADGROUP BLOCK; must stay below the Redis command timeout.
  absl::Duration block = absl::Milliseconds(100);
  // Pending this long with no ACK: the consumer is presumed dead.
  absl::Duration claim_idle = absl::Seconds(30);
  int max_deliveries = 5;
};

class StreamConsumer {
 public:
  StreamConsumer(sql::Database* db, redis::RedisClient* redis,
                 ConsumerOptions options, EventHandler handler);
  ~StreamConsumer();

  // Creates the group (and stream) if missing.
  absl::Status EnsureGroup();

  // One round: dead-letters exhausted entries, reclaims stale ones, reads
  // new ones; handles each. Returns the number of entries acknowledged.
  absl::StatusOr<int> PollOnce();

  // Polls in a background thread until Stop(), creating the group whenever
  // Redis lacks it; failures are logged once per outage and retried.
  void Start();
  void Stop();

 private:
  absl::StatusOr<bool> Handle(const std::string& entry_id,
                              const std::map<std::string, std::string>& fields);
  absl::StatusOr<int> DeadLetterExhausted();
  absl::Status DeadLetter(const std::string& entry_id,
                          const std::map<std::string, std::string>& fields,
                          const std::string& reason);
  absl::StatusOr<int> HandleEntries(const redis::Reply& entries);

  sql::Database* db_;
  redis::RedisClient* redis_;
  const ConsumerOptions options_;
  EventHandler handler_;
  // Last failure per entry, for the dead-letter reason.
  std::map<std::string, std::string> last_error_;
  absl::Notification stop_;
  std::thread thread_;
};

// Trims `stream` below the oldest entry that any group still needs (pending
// or not yet delivered): XTRIM MINID, never dropping a pending entry (plain
// XTRIM would, and XAUTOCLAIM would then silently forget it). Returns the
// number of entries removed.
absl::StatusOr<int64_t> TrimStream(redis::RedisClient& redis,
                                   const std::string& stream);

}  // namespace training::events

#endif  // TRAINING_COMMON_EVENTS_CONSUMER_H_
