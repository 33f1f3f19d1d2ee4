#ifndef TRAINING_COMMON_EVENTS_RETENTION_FLAGS_H_
#define TRAINING_COMMON_EVENTS_RETENTION_FLAGS_H_

// The flags every service with events shares for retention.h:
// --event_retention, --dead_letter_retention, --processed_event_retention
// and --event_housekeeping_interval (environment: TRAINING_EVENT_RETENTION
// and so on).

#include "absl/status/statusor.h"
#include "common/events/retention.h"

namespace training::events {

// The options the flags give; INVALID_ARGUMENT naming the flag when one is
// not positive, or when processed events would be forgotten before the
// stream entries that could repeat them.
absl::StatusOr<RetentionOptions> RetentionOptionsFromFlags();

}  // namespace training::events

#endif  // TRAINING_COMMON_EVENTS_RETENTION_FLAGS_H_
