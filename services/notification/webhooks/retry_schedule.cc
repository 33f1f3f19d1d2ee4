#include "services/notification/webhooks/retry_schedule.h"

#include "absl/random/distributions.h"

namespace training::notification::webhooks {

std::vector<absl::Duration> DefaultRetrySchedule() {
  return {absl::Seconds(5), absl::Minutes(5), absl::Minutes(30), absl::Hours(2),
          absl::Hours(5),   absl::Hours(10),  absl::Hours(10)};
}

absl::StatusOr<std::vector<absl::Duration>> ParseRetrySchedule(
    const std::vector<std::string>& waits) {
  std::vector<absl::Duration> out;
  for (const std::string& text : waits) {
    if (text.empty()) continue;
    absl::Duration wait;
    if (!absl::ParseDuration(text, &wait) || wait <= absl::ZeroDuration() ||
        wait > absl::Hours(24 * 7)) {
      return absl::InvalidArgumentError(
          "each wait must be a duration such as 5m, above 0 and at most a "
          "week");
    }
    out.push_back(wait);
  }
  if (out.empty() || out.size() > 20) {
    return absl::InvalidArgumentError("must list 1 to 20 waits");
  }
  return out;
}

std::optional<absl::Duration> RetryWait(
    const std::vector<absl::Duration>& schedule, int failed_attempts,
    absl::BitGenRef random) {
  if (failed_attempts < 1 ||
      failed_attempts > static_cast<int>(schedule.size())) {
    return std::nullopt;
  }
  const double stretch = absl::Uniform(random, 0.8, 1.2);
  return schedule[failed_attempts - 1] * stretch;
}

}  // namespace training::notification::webhooks
