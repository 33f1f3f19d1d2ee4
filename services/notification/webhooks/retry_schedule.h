#ifndef TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_RETRY_SCHEDULE_H_
#define TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_RETRY_SCHEDULE_H_

// When a failed delivery is tried again: the waits after each failed
// attempt, roughly exponential over about a day (the default: 5 s, 5 min,
// 30 min, 2 h, 5 h, 10 h, 10 h — eight attempts over 27 hours 35 minutes),
// each stretched or shrunk at random by up to a fifth so that the
// deliveries of one outage do not all come back at one instant.

#include <optional>
#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace training::notification::webhooks {

std::vector<absl::Duration> DefaultRetrySchedule();

// Parses `5s,5m,30m,…`: at least one wait, each above 0 and at most a
// week, at most 20. INVALID_ARGUMENT naming the rule otherwise.
absl::StatusOr<std::vector<absl::Duration>> ParseRetrySchedule(
    const std::vector<std::string>& waits);

// The wait after `failed_attempts` attempts have failed (1 for the first),
// jittered; nullopt when the schedule is used up (the delivery FAILED).
std::optional<absl::Duration> RetryWait(
    const std::vector<absl::Duration>& schedule, int failed_attempts,
    absl::BitGenRef random);

}  // namespace training::notification::webhooks

#endif  // TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_RETRY_SCHEDULE_H_
