#ifndef TRAINING_COMMON_BATCHING_GROUP_COMMIT_H_
#define TRAINING_COMMON_BATCHING_GROUP_COMMIT_H_

// Group commit: requests for the same key (a booking's session, say) are
// decided in batches, one transaction per batch. While a batch for a key is
// running, new arrivals for that key gather; when it finishes, the thread that
// ran it runs the next batch with everything that gathered (up to max_batch),
// in arrival order, until none is left. Nobody waits when nothing is running:
// at low load a batch is one request, run at once on the caller's thread
// (or, given a Starter, handed at once to a thread that may block, for
// callers that must not: gRPC's own threads).
//
// No thread sleeps per request: a caller that finds its key busy leaves its
// request and its `done` callback and returns; `done` is called for each
// request of a batch after the batch committed or failed. When requests are
// already waiting for the next batch, the callers of the one just committed
// are answered by the queue's replier thread, so that the next batch starts
// at once (answering 200 gRPC calls takes a few milliseconds the database
// would otherwise sit idle); when none are waiting, the committing thread
// answers them itself and no hop is added. Whoever answers a batch first
// runs its last step (Decided::before_answers, such as a cache write): off
// the path from one commit to the next batch whenever requests wait, and
// done by the time a caller hears its answer, so that what the caller
// reads next reflects its batch. Memory is bounded: past max_pending
// waiting requests, `done` is called at once with RESOURCE_EXHAUSTED and a
// retry hint.
//
// Thread-safe.

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/status/errors.h"

namespace training::batching {

struct GroupCommitOptions {
  int max_batch = 256;
  int max_pending = 5000;
  // Names what is queued in refusals ("booking: too many waiting").
  std::string name = "batch";
};

// What a batch decided: one result per request, in order, and what to do
// just before they are answered (may be empty).
template <typename Result>
struct Decided {
  std::vector<absl::StatusOr<Result>> results;
  std::function<void()> before_answers;
};

template <typename Request, typename Result>
class GroupCommitQueue {
 public:
  // Decides one batch for `key`.
  using Runner = std::function<Decided<Result>(
      const std::string& key, const std::vector<const Request*>& batch)>;

  // How a run of batches is started when a key was idle: `run` decides
  // batches for the key until none is waiting. Returns false when it will
  // not run it (no thread free): everything waiting for the key is then
  // answered RESOURCE_EXHAUSTED with a retry hint. Null: on the submitting
  // thread.
  using Starter = std::function<bool(std::function<void()> run)>;

  GroupCommitQueue(Runner runner, GroupCommitOptions options,
                   Starter start = nullptr)
      : runner_(std::move(runner)),
        options_(options),
        start_(start ? std::move(start)
                     : [](std::function<void()> run) {
                         run();
                         return true;
                       }),
        replier_([this] { AnswerHandedOver(); }) {}

  // Answers whatever was handed over, then stops.
  ~GroupCommitQueue() {
    {
      absl::MutexLock lock(&reply_mu_);
      stopping_ = true;
    }
    replier_.join();
  }

  using Done = std::function<void(absl::StatusOr<Result>)>;

  // Queues `request` behind the batch running for `key`, if any; `done` is
  // called once with its result, on this thread or the committing one.
  // `request` must stay alive until then.
  void Submit(const std::string& key, const Request& request, Done done) {
    mu_.Lock();
    if (pending_ >= static_cast<size_t>(options_.max_pending)) {
      mu_.Unlock();
      done(OverloadedError(
          absl::StrCat(options_.name, ": too many waiting; retry shortly")));
      return;
    }
    Queue& queue = queues_[key];
    queue.pending.push_back({&request, std::move(done)});
    ++pending_;
    if (queue.running) {
      mu_.Unlock();
      return;  // the thread running this key's batch will decide it
    }
    queue.running = true;
    mu_.Unlock();
    if (!start_([this, key] { RunBatches(key); })) RefuseWaiting(key);
  }

  // The same, waiting for the result (for callers with a thread to spare).
  absl::StatusOr<Result> SubmitAndWait(const std::string& key,
                                       const Request& request) {
    absl::Notification finished;
    std::optional<absl::StatusOr<Result>> result;
    Submit(key, request, [&](absl::StatusOr<Result> r) {
      result = std::move(r);
      finished.Notify();
    });
    finished.WaitForNotification();
    return *std::move(result);
  }

  // Requests waiting (not yet in a running batch), over every key.
  size_t pending() const {
    absl::MutexLock lock(&mu_);
    return pending_;
  }

 private:
  struct Waiting {
    const Request* request;
    Done done;
  };
  struct Queue {
    std::deque<Waiting> pending;
    bool running = false;
  };
  // A committed batch and what it decided, to be answered.
  struct Answers {
    std::vector<Waiting> batch;
    Decided<Result> decided;
  };

  // Answers everything waiting for `key` (marked running, but with no
  // thread to run it) RESOURCE_EXHAUSTED, and forgets the key.
  void RefuseWaiting(const std::string& key) {
    std::deque<Waiting> refused;
    {
      absl::MutexLock lock(&mu_);
      auto queue = queues_.find(key);
      if (queue == queues_.end()) return;
      refused.swap(queue->second.pending);
      pending_ -= refused.size();
      queues_.erase(queue);
    }
    for (Waiting& waiting : refused) {
      waiting.done(OverloadedError(absl::StrCat(
          options_.name, ": too busy to take this now; retry shortly")));
    }
  }

  // Decides batches for `key` (marked running) until none is waiting.
  void RunBatches(const std::string& key) {
    mu_.Lock();
    while (true) {
      Queue& current = queues_[key];
      if (current.pending.empty()) {
        queues_.erase(key);
        mu_.Unlock();
        return;
      }
      // Take what has gathered, in arrival order, and run it without the
      // lock so that more can gather meanwhile.
      std::vector<Waiting> batch;
      while (!current.pending.empty() &&
             batch.size() < static_cast<size_t>(options_.max_batch)) {
        batch.push_back(std::move(current.pending.front()));
        current.pending.pop_front();
      }
      pending_ -= batch.size();
      mu_.Unlock();
      std::vector<const Request*> requests;
      for (const Waiting& w : batch) requests.push_back(w.request);
      Answers answers{std::move(batch), runner_(key, requests)};
      mu_.Lock();
      if (!queues_[key].pending.empty()) {
        absl::MutexLock lock(&reply_mu_);
        handed_over_.push_back(std::move(answers));
        continue;
      }
      mu_.Unlock();
      Answer(answers);
      mu_.Lock();
    }
  }

  static void Answer(Answers& answers) {
    if (answers.decided.before_answers) answers.decided.before_answers();
    std::vector<absl::StatusOr<Result>>& results = answers.decided.results;
    for (size_t i = 0; i < answers.batch.size(); ++i) {
      answers.batch[i].done(i < results.size()
                                ? std::move(results[i])
                                : absl::StatusOr<Result>(absl::InternalError(
                                      "batch: a result is missing")));
    }
  }

  // The replier thread: answers batches handed over, until stopped and
  // none is left.
  void AnswerHandedOver() {
    while (true) {
      std::deque<Answers> work;
      {
        absl::MutexLock lock(&reply_mu_);
        reply_mu_.Await(absl::Condition(
            +[](GroupCommitQueue* q)
                 ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->reply_mu_) {
                   return q->stopping_ || !q->handed_over_.empty();
                 },
            this));
        if (handed_over_.empty()) return;  // stopping, nothing left
        work.swap(handed_over_);
      }
      for (Answers& answers : work) Answer(answers);
    }
  }

  const Runner runner_;
  const GroupCommitOptions options_;
  const Starter start_;
  mutable absl::Mutex mu_;
  // Node-based: a Queue stays put while callers sleep on the mutex.
  std::unordered_map<std::string, Queue> queues_ ABSL_GUARDED_BY(mu_);
  size_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex reply_mu_;
  std::deque<Answers> handed_over_ ABSL_GUARDED_BY(reply_mu_);
  bool stopping_ ABSL_GUARDED_BY(reply_mu_) = false;
  std::thread replier_;  // last: started once everything above exists
};

}  // namespace training::batching

#endif  // TRAINING_COMMON_BATCHING_GROUP_COMMIT_H_
