#ifndef TRAINING_COMMON_TIME_DEADLINE_H_
#define TRAINING_COMMON_TIME_DEADLINE_H_

// The deadline of the work a thread is doing for a caller. Code that waits
// on something outside the process (the database) never waits past it: a
// caller that has given up no longer needs the answer, and the waiting
// thread is needed by others.
//
// Set for a span of work with ScopedDeadline: the dispatcher does around
// each handler, with the RPC's deadline; work handed to another thread
// carries its caller's deadline there and sets it again (a booking batch
// runs under the latest deadline of the requests in it). Without one, the
// deadline is absl::InfiniteFuture() and only the waiter's own bounds
// apply.

#include "absl/time/time.h"

namespace training {

// This thread's current deadline; absl::InfiniteFuture() when none is set.
absl::Time CurrentDeadline();

// Sets this thread's deadline to `deadline` until destroyed, then puts back
// the one before. It replaces rather than narrows: work done for several
// callers (a booking batch, a look-up many requests wait on) may wait as
// long as the most patient of them, even on a thread that was serving a
// hurried one. Not copyable; lives on one thread's stack.
class ScopedDeadline {
 public:
  explicit ScopedDeadline(absl::Time deadline);
  ~ScopedDeadline();
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;

 private:
  absl::Time previous_;
};

}  // namespace training

#endif  // TRAINING_COMMON_TIME_DEADLINE_H_
