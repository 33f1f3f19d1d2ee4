#ifndef TRAINING_COMMON_EVENTS_DEAD_LETTERS_H_
#define TRAINING_COMMON_EVENTS_DEAD_LETTERS_H_

// Dead letters: entries a consumer group set aside (consumer.h), kept in
// `<stream>.dead` with the reason and the group, for a while
// (retention.h), and put back on the stream once their cause is fixed.
// The command-line tool is tools/training_events.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"

namespace training::events {

struct DeadLetter {
  std::string id;           // its id in `<stream>.dead`
  absl::Time dead_time;     // when it was set aside (from its id)
  std::string group;        // the consumer group that set it aside
  std::string original_id;  // its id in `<stream>`
  std::string event_id;     // Event.id, when the entry had one
  std::string type;         // Event.type, when the entry had one
  std::string reason;
};

// The dead letters of `stream` set aside at or after `since`, oldest
// first, at most `limit`.
absl::StatusOr<std::vector<DeadLetter>> ListDeadLetters(
    redis::RedisClient& redis, const std::string& stream, absl::Time since,
    int limit = 1000);

// Puts the dead letters of `stream` set aside at or after `since` (only
// `group`'s, unless empty) and before the call began back on the stream,
// each addressed to the group that set it aside (field `for_group`; other
// groups acknowledge it without handling it), and removes each from the
// dead letters in the same MULTI. A letter that names no group stays.
// Returns how many were put back. The replayed entry counts its
// deliveries afresh; if it fails again it is set aside again.
absl::StatusOr<int> ReplayDeadLetters(redis::RedisClient& redis,
                                      const std::string& stream,
                                      absl::Time since,
                                      const std::string& group = "");

}  // namespace training::events

#endif  // TRAINING_COMMON_EVENTS_DEAD_LETTERS_H_
