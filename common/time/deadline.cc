#include "common/time/deadline.h"

namespace training {
namespace {

// A trivially destructible thread_local: absl::Time is a plain value.
thread_local absl::Time current_deadline = absl::InfiniteFuture();

}  // namespace

absl::Time CurrentDeadline() { return current_deadline; }

ScopedDeadline::ScopedDeadline(absl::Time deadline)
    : previous_(current_deadline) {
  current_deadline = deadline;
}

ScopedDeadline::~ScopedDeadline() { current_deadline = previous_; }

}  // namespace training
