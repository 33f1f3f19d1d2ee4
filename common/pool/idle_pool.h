#ifndef TRAINING_COMMON_POOL_IDLE_POOL_H_
#define TRAINING_COMMON_POOL_IDLE_POOL_H_

// The bookkeeping of a bounded connection pool, shared by the PostgreSQL
// pool, SQLite's reader connections and the Redis pool: at most `capacity`
// connections exist; a taker gets an idle one, or room to open a new one,
// or waits up to a timeout. Opening and closing connections stay with the
// caller. Thread-safe.

#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace training::pool {

template <typename T>
class IdlePool {
 public:
  enum class Slot {
    kIdle,      // *item is an idle connection: use it, then Put or Forget it
    kNew,       // room reserved: open a connection, then Put or Forget it
    kTimedOut,  // none free within the timeout
  };

  explicit IdlePool(int capacity) : capacity_(capacity) {}

  Slot Take(absl::Duration timeout, T* item) {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < capacity_;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&available), timeout)) {
      return Slot::kTimedOut;
    }
    if (!idle_.empty()) {
      *item = std::move(idle_.back());
      idle_.pop_back();
      return Slot::kIdle;
    }
    ++open_;
    return Slot::kNew;
  }

  // Returns a healthy connection for reuse.
  void Put(T item) {
    absl::MutexLock lock(&mu_);
    idle_.push_back(std::move(item));
  }

  // The taken or reserved connection is gone (closed, or never opened).
  void Forget() {
    absl::MutexLock lock(&mu_);
    --open_;
  }

  // Removes and returns every idle connection, for closing at destruction.
  std::vector<T> TakeAllIdle() {
    absl::MutexLock lock(&mu_);
    open_ -= static_cast<int>(idle_.size());
    return std::exchange(idle_, {});
  }

 private:
  const int capacity_;
  absl::Mutex mu_;
  std::vector<T> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace training::pool

#endif  // TRAINING_COMMON_POOL_IDLE_POOL_H_
