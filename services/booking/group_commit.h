#ifndef TRAINING_SERVICES_BOOKING_GROUP_COMMIT_H_
#define TRAINING_SERVICES_BOOKING_GROUP_COMMIT_H_

// Group commit: requests for the same key (a session) are decided in
// batches, one transaction per batch. While a batch for a key is running,
// new arrivals for that key gather; when it finishes, one of them runs the
// next batch with everything that gathered (up to max_batch), in arrival
// order. Nobody waits when nothing is running: at low load a batch is one
// request, run at once on the caller's thread.
//
// There is no thread of its own: the caller that finds its key idle runs the
// batch (the leader), the others sleep until their batch is done. Each
// caller gets its own result only after the runner returns, i.e. after its
// batch committed or failed. Memory is bounded: past max_pending waiting
// requests, Submit refuses with RESOURCE_EXHAUSTED and a retry hint.
//
// Thread-safe.

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/status/errors.h"

namespace training::booking {

struct GroupCommitOptions {
  int max_batch = 256;
  int max_pending = 5000;
};

template <typename Request, typename Result>
class GroupCommitQueue {
 public:
  // Decides one batch for `key`; returns one result per request, in order.
  using Runner = std::function<std::vector<absl::StatusOr<Result>>(
      const std::string& key, const std::vector<const Request*>& batch)>;

  GroupCommitQueue(Runner runner, GroupCommitOptions options)
      : runner_(std::move(runner)), options_(options) {}

  // Queues `request` behind the batch running for `key`, if any, and
  // returns its result once its batch has run.
  absl::StatusOr<Result> Submit(const std::string& key,
                                const Request& request) {
    Waiter waiter;
    waiter.request = &request;
    absl::MutexLock lock(&mu_);
    if (pending_ >= static_cast<size_t>(options_.max_pending)) {
      return WithRetryInfo(
          absl::ResourceExhaustedError(
              "booking: too many bookings waiting; retry shortly"),
          absl::Milliseconds(200));
    }
    queues_[key].pending.push_back(&waiter);
    ++pending_;
    while (!waiter.done) {
      Queue& queue = queues_[key];
      if (queue.running) {
        done_.Wait(&mu_);
        continue;
      }
      // Lead: take what has gathered, in arrival order, and run it without
      // the lock so that more can gather meanwhile.
      queue.running = true;
      std::vector<Waiter*> batch;
      while (!queue.pending.empty() &&
             batch.size() < static_cast<size_t>(options_.max_batch)) {
        batch.push_back(queue.pending.front());
        queue.pending.pop_front();
      }
      pending_ -= batch.size();
      std::vector<const Request*> requests;
      for (Waiter* w : batch) requests.push_back(w->request);
      mu_.Unlock();
      std::vector<absl::StatusOr<Result>> results = runner_(key, requests);
      mu_.Lock();
      for (size_t i = 0; i < batch.size(); ++i) {
        batch[i]->result = i < results.size()
                               ? std::move(results[i])
                               : absl::StatusOr<Result>(absl::InternalError(
                                     "booking: batch result missing"));
        batch[i]->done = true;
      }
      Queue& after = queues_[key];
      after.running = false;
      if (after.pending.empty()) queues_.erase(key);
      done_.SignalAll();
    }
    return *std::move(waiter.result);
  }

  // Requests waiting (not yet in a running batch), over every key.
  size_t pending() const {
    absl::MutexLock lock(&mu_);
    return pending_;
  }

 private:
  struct Waiter {
    const Request* request = nullptr;
    std::optional<absl::StatusOr<Result>> result;
    bool done = false;
  };
  struct Queue {
    std::deque<Waiter*> pending;
    bool running = false;
  };

  const Runner runner_;
  const GroupCommitOptions options_;
  mutable absl::Mutex mu_;
  absl::CondVar done_;
  // Node-based: a Queue stays put while callers sleep on the mutex.
  std::unordered_map<std::string, Queue> queues_ ABSL_GUARDED_BY(mu_);
  size_t pending_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_GROUP_COMMIT_H_
