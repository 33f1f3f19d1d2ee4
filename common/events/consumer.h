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
//   with XAUTOCLAIM (and so are entries whose handling failed: they are
//   tried again after `claim_idle`).
// * A failure is either a verdict on the event (the handler refused it, or
//   a bug) or transient: UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED,
//   RESOURCE_EXHAUSTED or CANCELLED, as when the database is down. Only
//   verdicts, and deliveries that ended without any answer (a consumer
//   that crashed on the entry), count towards dead-lettering: transient
//   failures are tallied per entry in the hash `<stream>.retries.<group>`
//   and taken off the delivery count XPENDING reports. So an outage of any
//   length dead-letters nothing, and an entry that crashes its consumer is
//   still set aside after `max_deliveries`.
// * An entry with `max_deliveries` counted deliveries, one still failing
//   transiently `give_up_after` after it was added, or one whose payload
//   does not parse or that the handler refuses as out of range
//   (INVALID_ARGUMENT: retrying cannot change it), goes to the dead-letter
//   stream (`<stream>.dead`) with
//   the reason, its group and original id, and is acknowledged. Dead letters
//   are put back with ReplayDeadLetters (dead_letters.h), addressed to the
//   group that set them aside (field `for_group`): other groups acknowledge
//   such an entry without handling it.
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
#include "common/time/clock.h"
#include "training/events/v1/events.pb.h"

namespace training::events {

// Runs inside the transaction that records the event as processed; a
// non-OK status rolls both back and the entry is retried later.
using EventHandler = std::function<absl::Status(
    sql::Transaction& tx, const training::events::v1::Event& event)>;
// Runs after the handler's transaction has committed (not for a duplicate
// or a failure): for work that must not see uncommitted state, such as
// refreshing a cache. A crash before it runs loses it, so it may only do
// what heals by itself.
using EventCommitted =
    std::function<void(const training::events::v1::Event& event)>;

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
  // An entry still failing transiently this long after it reached the
  // stream is set aside anyway (the reason says so), so that it cannot
  // hold back its group's trimming for ever; replay it once the cause is
  // gone.
  absl::Duration give_up_after = absl::Hours(24 * 7);
  // Stamps processed_events rows and ages entries (tests inject one);
  // null: the real clock.
  const Clock* clock = nullptr;
};

// Whether a handling failure is transient (see above): not the event's
// fault, and not counted towards dead-lettering.
bool IsTransientFailure(const absl::Status& status);

class StreamConsumer {
 public:
  StreamConsumer(sql::Database* db, redis::RedisClient* redis,
                 ConsumerOptions options, EventHandler handler,
                 EventCommitted committed = nullptr);
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
  // Acknowledges an entry and forgets its tally of transient failures.
  absl::Status Acknowledge(const std::string& entry_id);

  sql::Database* db_;
  redis::RedisClient* redis_;
  const ConsumerOptions options_;
  EventHandler handler_;
  EventCommitted committed_;
  const std::string retries_key_;  // <stream>.retries.<group>
  const Clock* clock_;
  // Last verdict and last transient failure per entry, for the
  // dead-letter reason.
  std::map<std::string, std::string> last_error_;
  std::map<std::string, std::string> last_transient_error_;
  // Where the next XAUTOCLAIM scan starts: each round takes up the scan
  // where the last ended, so that entries failing for good at the front
  // cannot keep later ones from being reclaimed.
  std::string claim_cursor_ = "0-0";
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace training::events

#endif  // TRAINING_COMMON_EVENTS_CONSUMER_H_
