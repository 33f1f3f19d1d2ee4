#include "common/batching/group_commit.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::batching {
namespace {

using ::testing::ElementsAre;

// Generous: proves there is no hang, never how fast anything is.
constexpr absl::Duration kWatchdog = absl::Seconds(30);

using Queue = GroupCommitQueue<int, int>;

// A runner that records each batch and answers each request with ten times
// its value; the first batch waits for `release` (so that others gather).
struct Recorder {
  absl::Mutex mu;
  std::vector<std::vector<int>> batches ABSL_GUARDED_BY(mu);
  absl::Notification first_started;
  absl::Notification release;
  std::atomic<int> before_answers{0};

  Queue::Runner Runner() {
    return [this](const std::string&, const std::vector<const int*>& batch) {
      bool first;
      {
        absl::MutexLock lock(&mu);
        first = batches.empty();
        std::vector<int> values;
        for (const int* r : batch) values.push_back(*r);
        batches.push_back(values);
      }
      if (first) {
        first_started.Notify();
        release.WaitForNotificationWithTimeout(kWatchdog);
      }
      Decided<int> decided;
      for (const int* r : batch) decided.results.push_back(*r * 10);
      decided.before_answers = [this] { ++before_answers; };
      return decided;
    };
  }
  std::vector<std::vector<int>> Batches() {
    absl::MutexLock lock(&mu);
    return batches;
  }
};

// Answers land from several threads: collected under a lock.
struct Answers {
  absl::Mutex mu;
  std::vector<absl::StatusOr<int>> got ABSL_GUARDED_BY(mu);
  std::atomic<int> count{0};
  Queue::Done Collect() {
    return [this](absl::StatusOr<int> r) {
      absl::MutexLock lock(&mu);
      got.push_back(std::move(r));
      ++count;
    };
  }
  bool WaitFor(int n) {
    absl::MutexLock lock(&mu);
    auto enough = [this, n] { return count.load() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), kWatchdog);
  }
};

TEST(GroupCommitTest, RequestsGatherBehindARunningBatchInArrivalOrder) {
  Recorder recorder;
  Queue queue(recorder.Runner(), {.max_batch = 100, .max_pending = 100});
  const std::vector<int> requests = {0, 1, 2, 3, 4, 5};
  Answers answers;
  std::thread first([&] { queue.Submit("s", requests[0], answers.Collect()); });
  ASSERT_TRUE(recorder.first_started.WaitForNotificationWithTimeout(kWatchdog));
  for (int i = 1; i < 6; ++i) queue.Submit("s", requests[i], answers.Collect());
  EXPECT_EQ(queue.pending(), 5u);

  recorder.release.Notify();
  first.join();

  ASSERT_TRUE(answers.WaitFor(6));
  EXPECT_THAT(recorder.Batches(),
              ElementsAre(ElementsAre(0), ElementsAre(1, 2, 3, 4, 5)));
  absl::MutexLock lock(&answers.mu);
  std::vector<int> values;
  for (const auto& r : answers.got) values.push_back(r.value_or(-1));
  std::sort(values.begin(), values.end());
  EXPECT_THAT(values, ElementsAre(0, 10, 20, 30, 40, 50));
}

TEST(GroupCommitTest, PastThePendingLimitRequestsAreRefusedAtOnce) {
  Recorder recorder;
  Queue queue(recorder.Runner(),
              {.max_batch = 100, .max_pending = 2, .name = "booking"});
  const int request = 7;
  Answers answers;
  std::thread first([&] { queue.Submit("s", request, answers.Collect()); });
  ASSERT_TRUE(recorder.first_started.WaitForNotificationWithTimeout(kWatchdog));
  queue.Submit("s", request, answers.Collect());
  queue.Submit("s", request, answers.Collect());
  absl::StatusOr<int> refused;
  queue.Submit("s", request, [&](absl::StatusOr<int> r) { refused = r; });

  EXPECT_TRUE(absl::IsResourceExhausted(refused.status()));
  EXPECT_THAT(std::string(refused.status().message()),
              ::testing::HasSubstr("booking: too many waiting"));
  EXPECT_TRUE(GetRetryDelay(refused.status()).has_value());
  recorder.release.Notify();
  first.join();
  ASSERT_TRUE(answers.WaitFor(3));
}

// While requests wait, the committing thread hands the answers of its batch
// to the replier and goes straight on to the next batch: a caller slow to
// take its answer never holds the next batch back.
TEST(GroupCommitTest, TheNextBatchStartsWhileThePreviousIsStillBeingAnswered) {
  absl::Notification second_batch_ran;
  std::atomic<int> batches{0};
  absl::Notification release_first;
  // Set by the first answer, which the replier may give after the first
  // submitter has returned: waited for, not read once that thread ends.
  std::atomic<bool> next_ran_before_first_answered{false};
  absl::Notification first_answered;
  Queue queue(
      [&](const std::string&, const std::vector<const int*>& batch) {
        if (batches++ == 0) {
          release_first.WaitForNotificationWithTimeout(kWatchdog);
        } else {
          second_batch_ran.Notify();
        }
        Decided<int> decided;
        for (const int* r : batch) decided.results.push_back(*r);
        return decided;
      },
      {.max_batch = 100, .max_pending = 100});
  const int one = 1, two = 2;
  std::thread first([&] {
    queue.Submit("s", one, [&](absl::StatusOr<int>) {
      // The first caller's answer waits for the second batch to have run.
      next_ran_before_first_answered =
          second_batch_ran.WaitForNotificationWithTimeout(kWatchdog);
      first_answered.Notify();
    });
  });
  while (batches.load() == 0) absl::SleepFor(absl::Milliseconds(1));
  absl::Notification second_answered;
  queue.Submit("s", two,
               [&](absl::StatusOr<int>) { second_answered.Notify(); });
  release_first.Notify();

  first.join();
  EXPECT_TRUE(second_answered.WaitForNotificationWithTimeout(kWatchdog));
  ASSERT_TRUE(first_answered.WaitForNotificationWithTimeout(kWatchdog));
  EXPECT_TRUE(next_ran_before_first_answered.load());
}

// Every answer handed to the replier is given before the queue is gone,
// and each batch's last step runs once.
TEST(GroupCommitTest, DestructionDrainsEveryHandedOverAnswer) {
  Recorder recorder;
  Answers answers;
  std::vector<int> requests(50);
  for (int i = 0; i < 50; ++i) requests[i] = i;
  {
    Queue queue(recorder.Runner(), {.max_batch = 7, .max_pending = 100});
    std::thread first(
        [&] { queue.Submit("s", requests[0], answers.Collect()); });
    ASSERT_TRUE(
        recorder.first_started.WaitForNotificationWithTimeout(kWatchdog));
    for (int i = 1; i < 50; ++i) {
      queue.Submit("s", requests[i], answers.Collect());
    }
    recorder.release.Notify();
    first.join();  // the committing thread ran every batch
  }
  EXPECT_EQ(answers.count.load(), 50);
  const auto batches = recorder.Batches();
  EXPECT_EQ(recorder.before_answers.load(), static_cast<int>(batches.size()));
  for (const auto& batch : batches) EXPECT_LE(batch.size(), 7u);
}

// A batch's last step runs before any of its callers hears its answer, so
// that what a caller reads next reflects its batch.
TEST(GroupCommitTest, ABatchsLastStepRunsBeforeItsAnswers) {
  std::atomic<int> answered{0};
  int answered_when_followed_up = -1;
  Queue queue(
      [&](const std::string&, const std::vector<const int*>& batch) {
        Decided<int> decided;
        for (const int* r : batch) decided.results.push_back(*r);
        decided.before_answers = [&] {
          answered_when_followed_up = answered.load();
        };
        return decided;
      },
      {});
  const int one = 1;
  queue.Submit("s", one, [&](absl::StatusOr<int>) { ++answered; });
  EXPECT_EQ(answered_when_followed_up, 0);
  EXPECT_EQ(answered.load(), 1);
}

// When no thread will run a key's batches, everyone waiting for the key
// hears so at once, with a retry hint.
TEST(GroupCommitTest, ARefusedStartRefusesEveryoneWaiting) {
  std::atomic<int> ran{0};
  Queue queue(
      [&](const std::string&, const std::vector<const int*>& batch) {
        ++ran;
        Decided<int> decided;
        decided.results.resize(batch.size(), 0);
        return decided;
      },
      {}, [](std::function<void()>) { return false; });
  const int one = 1;
  absl::StatusOr<int> answer;
  queue.Submit("s", one, [&](absl::StatusOr<int> r) { answer = r; });
  EXPECT_TRUE(absl::IsResourceExhausted(answer.status()));
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(queue.pending(), 0u);
}

}  // namespace
}  // namespace training::batching
