#ifndef TRAINING_COMMON_RUNTIME_WORKER_POOL_H_
#define TRAINING_COMMON_RUNTIME_WORKER_POOL_H_

// A fixed pool of threads for blocking work (SQL, Redis, calls to other
// services), so that gRPC callback reactors never block. The queue is
// bounded: past the limit, TrySubmit refuses and the caller answers
// RESOURCE_EXHAUSTED instead of growing memory without end. Thread-safe.

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace training::runtime {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  // Runs what is queued, then joins.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false when the queue is full or the pool is shutting
  // down (the task is then not run).
  bool TrySubmit(std::function<void()> task);

  // Stops taking tasks, runs those queued, joins the threads. Idempotent.
  void Shutdown();

  // Tasks waiting for a thread.
  size_t queued() const;
  // Tasks running now.
  size_t busy() const;

 private:
  void Work();

  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t busy_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> threads_;
};

}  // namespace training::runtime

#endif  // TRAINING_COMMON_RUNTIME_WORKER_POOL_H_
