#include "common/events/retention_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(absl::Duration, event_retention, absl::Hours(24 * 7),
          "Event stream entries younger than this are kept even when every "
          "consumer group has acknowledged them; a group added later starts "
          "reading here.");
ABSL_FLAG(absl::Duration, dead_letter_retention, absl::Hours(24 * 30),
          "How long dead-lettered events are kept for inspection and replay "
          "(training_events).");
ABSL_FLAG(absl::Duration, processed_event_retention, absl::Hours(24 * 7),
          "How long a consumer remembers the event ids it handled, to drop "
          "duplicates; at least --event_retention.");
ABSL_FLAG(absl::Duration, event_housekeeping_interval, absl::Minutes(10),
          "How often streams are trimmed and old processed-event records "
          "forgotten.");

namespace training::events {

absl::StatusOr<RetentionOptions> RetentionOptionsFromFlags() {
  RetentionOptions options{
      .stream_floor = absl::GetFlag(FLAGS_event_retention),
      .dead_letters = absl::GetFlag(FLAGS_dead_letter_retention),
      .processed_events = absl::GetFlag(FLAGS_processed_event_retention),
      .interval = absl::GetFlag(FLAGS_event_housekeeping_interval)};
  if (options.stream_floor <= absl::ZeroDuration() ||
      options.dead_letters <= absl::ZeroDuration() ||
      options.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--event_retention, --dead_letter_retention and "
        "--event_housekeeping_interval: must be positive");
  }
  // A duplicate comes from an entry still in the stream: forgetting its
  // id earlier would let the duplicate take effect twice.
  if (options.processed_events < options.stream_floor) {
    return absl::InvalidArgumentError(
        "--processed_event_retention: must be at least --event_retention");
  }
  return options;
}

}  // namespace training::events
