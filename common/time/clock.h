#ifndef TRAINING_COMMON_TIME_CLOCK_H_
#define TRAINING_COMMON_TIME_CLOCK_H_

// Injected time: code that decides by the clock (booking windows, holds,
// completion) asks a Clock, so that tests can move time instead of sleeping.

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace training {

// Thread-safe source of the current instant.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // The process-wide real clock. Never null; not owned.
  static Clock* Real();
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}

  // Clock:
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }
  void Set(absl::Time to) {
    absl::MutexLock lock(&mu_);
    now_ = to;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace training

#endif  // TRAINING_COMMON_TIME_CLOCK_H_
