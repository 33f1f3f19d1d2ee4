// Group commit against a real database (both engines): requests gather
// behind a held transaction and commit as one batch, callers are never
// blocked, a batch writes each booking's own values, a failed commit fails
// everyone retryably, and past the pending limit requests are refused.

#include <limits>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "common/random/secure_bytes.h"
#include "common/redis/testing_redis_server.h"
#include "common/runtime/worker_pool.h"
#include "common/sql/testing/engines.h"
#include "common/sql/testing/test_databases.h"
#include "common/status/errors.h"
#include "common/testing/status_matchers.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/booking/bookings_test_fixture.h"
#include "services/booking/store_sql.h"

namespace training::booking {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::training::testing::StatusIs;

class BookingBatchesTest : public BookingsFixture {};

// Group commit: while one batch's transaction is held open, K requests
// gather; on release they are decided and committed as one batch, each
// with its own answer, and a duplicate among them fails alone.
TEST_P(BookingBatchesTest,
       RequestsQueuedBehindAHeldTransactionCommitAsOneBatch) {
  constexpr int kQueued = 12;
  absl::Mutex mu;
  std::vector<int> batch_sizes;
  absl::Notification held, release;
  bookings_->SetBatchHookForTest([&](const std::vector<std::string>& ids) {
    const int size = static_cast<int>(ids.size());
    bool first;
    {
      absl::MutexLock lock(&mu);
      batch_sizes.push_back(size);
      first = batch_sizes.size() == 1;
    }
    if (first) {
      held.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(120));
    }
    return absl::OkStatus();
  });
  std::thread first([&] { EXPECT_THAT(Book("first@nhs.example", 1), IsOk()); });
  held.WaitForNotification();

  std::vector<absl::StatusOr<v1::Booking>> results(kQueued);
  std::vector<std::thread> queued;
  for (int i = 0; i < kQueued; ++i) {
    queued.emplace_back([&, i] {
      // Requests 0 and 1 are the same person: one of them must fail.
      const std::string email =
          i <= 1 ? "twice@nhs.example" : absl::StrCat("q", i, "@nhs.example");
      results[i] = Book(email, 100 + i);
    });
  }
  for (int i = 0; i < 1200 && bookings_->PendingBookings() < kQueued; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(bookings_->PendingBookings(), static_cast<size_t>(kQueued));
  release.Notify();
  first.join();
  for (auto& t : queued) t.join();

  EXPECT_THAT(batch_sizes, ElementsAre(1, kQueued));
  int ok = 0, duplicates = 0, confirmed = 0;
  std::set<int> positions;
  for (const auto& result : results) {
    if (result.ok()) {
      ++ok;
      confirmed += result->state() == v1::Booking::CONFIRMED;
      if (result->state() == v1::Booking::WAITLISTED) {
        positions.insert(result->waitlist_position());
      }
      EXPECT_TRUE(tokens_->Verify(result->name(), 1, result->manage_token()));
    } else {
      EXPECT_THAT(result.status(), StatusIs(absl::StatusCode::kAlreadyExists));
      ++duplicates;
    }
  }
  EXPECT_FALSE(results[0].ok() && results[1].ok());
  EXPECT_EQ(ok, kQueued - 1);
  EXPECT_EQ(duplicates, 1);
  EXPECT_EQ(confirmed, 2);  // the first request took one of three places
  EXPECT_EQ(positions, (std::set<int>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  ExpectInvariants();
}

// With somewhere to offload blocking work (the worker pool, in the
// server), CreateBookingAsync is fit for gRPC's own threads: it returns at
// once even while the session's batch is held open, and each caller is
// answered from the thread that commits its batch.
TEST_P(BookingBatchesTest, OffloadedCreateBookingAsyncNeverBlocksItsCaller) {
  runtime::WorkerPool pool(4, 100);
  Bookings offloaded(store_.get(), &clock_, Keys(), &directory_, cache_.get(),
                     {}, [&pool](std::function<void()> work) {
                       return pool.TrySubmit(std::move(work));
                     });
  absl::Notification held, release;
  std::atomic<int> batches{0};
  offloaded.SetBatchHookForTest([&](const std::vector<std::string>&) {
    if (batches.fetch_add(1) == 0) {
      held.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(120));
    }
    return absl::OkStatus();
  });
  constexpr int kCalls = 4;  // for three places
  std::vector<v1::CreateBookingRequest> requests(kCalls);
  std::vector<absl::StatusOr<v1::Booking>> results(
      kCalls, absl::UnknownError("not answered"));
  std::vector<absl::Notification> answered(kCalls);

  for (int i = 0; i < kCalls; ++i) {
    requests[i].set_request_id(Uuid(300 + i));
    requests[i].mutable_booking()->set_session(kSession);
    *requests[i].mutable_booking()->mutable_attendee() =
        Person(absl::StrCat("async", i, "@nhs.example"));
    offloaded.CreateBookingAsync(Public(), requests[i],
                                 [&, i](absl::StatusOr<v1::Booking> b) {
                                   results[i] = std::move(b);
                                   answered[i].Notify();
                                 });
    // The first call's batch is now held open on a pool thread.
    if (i == 0) held.WaitForNotification();
  }
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_FALSE(answered[i].HasBeenNotified()) << i;
  }
  EXPECT_EQ(offloaded.PendingBookings(), static_cast<size_t>(kCalls - 1));
  release.Notify();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(answered[i].WaitForNotificationWithTimeout(absl::Seconds(120)))
        << i;
  }
  pool.Shutdown();  // nothing of `offloaded` still running

  int confirmed = 0;
  for (const auto& result : results) {
    ASSERT_THAT(result, IsOk());
    confirmed += result->state() == v1::Booking::CONFIRMED;
  }
  EXPECT_EQ(confirmed, 3);
  EXPECT_EQ(batches.load(), 2);
  ExpectInvariants();
}

// A batch's bookings are written in one statement (PostgreSQL: one array
// per column): every booking keeps its own values, however awkward.
TEST_P(BookingBatchesTest, ABatchWritesEachBookingsOwnValuesWhateverTheyHold) {
  runtime::WorkerPool pool(2, 100);
  Bookings batched(store_.get(), &clock_, Keys(), &directory_, cache_.get(), {},
                   [&pool](std::function<void()> work) {
                     return pool.TrySubmit(std::move(work));
                   });
  absl::Notification held, release;
  std::atomic<int> batches{0};
  std::vector<int> sizes;
  batched.SetBatchHookForTest([&](const std::vector<std::string>& ids) {
    const int n = static_cast<int>(ids.size());
    sizes.push_back(n);
    if (batches.fetch_add(1) == 0) {
      held.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(120));
    }
    return absl::OkStatus();
  });
  const std::vector<std::string> awkward = {"Plain Name",
                                            "O'Brien \"Bob\"",
                                            "back\\slash \\\" end\\",
                                            "{braces}, commas",
                                            "NULL",
                                            "",
                                            "  spaced  ",
                                            "Zoë – ünïcode ✓",
                                            "line\nbreak\ttab"};
  const int calls = static_cast<int>(awkward.size()) + 1;
  std::vector<v1::CreateBookingRequest> requests(calls);
  std::vector<absl::StatusOr<v1::Booking>> results(
      calls, absl::UnknownError("not answered"));
  std::vector<absl::Notification> answered(calls);
  for (int i = 0; i < calls; ++i) {
    requests[i].set_request_id(Uuid(400 + i));
    requests[i].mutable_booking()->set_session(kSession);
    v1::Attendee& a = *requests[i].mutable_booking()->mutable_attendee();
    a = Person(absl::StrCat("odd", i, "@nhs.example"));
    if (i > 0) {
      const std::string& text = awkward[i - 1];
      a.set_display_name(text.empty() ? "x" : text);
      a.set_organisation(text.empty() ? "y" : text);
      a.set_job_role(absl::StrCat(text, " ", i));
      a.set_access_needs(text);
    }
    batched.CreateBookingAsync(Public(), requests[i],
                               [&, i](absl::StatusOr<v1::Booking> b) {
                                 results[i] = std::move(b);
                                 answered[i].Notify();
                               });
    if (i == 0) held.WaitForNotification();  // the rest gather behind it
  }
  release.Notify();
  for (int i = 0; i < calls; ++i) {
    ASSERT_TRUE(answered[i].WaitForNotificationWithTimeout(absl::Seconds(120)))
        << i;
  }
  pool.Shutdown();
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[1], calls - 1);  // one batch of every awkward one

  for (int i = 0; i < calls; ++i) {
    ASSERT_THAT(results[i], IsOk()) << i;
    auto stored = Get(results[i]->name());
    ASSERT_THAT(stored, IsOk()) << i;
    const v1::Attendee& want = requests[i].booking().attendee();
    EXPECT_EQ(stored->attendee().display_name(), want.display_name()) << i;
    EXPECT_EQ(stored->attendee().email(), want.email()) << i;
    EXPECT_EQ(stored->attendee().organisation(), want.organisation()) << i;
    EXPECT_EQ(stored->attendee().job_role(), want.job_role()) << i;
    EXPECT_EQ(stored->attendee().access_needs(), want.access_needs()) << i;
    EXPECT_EQ(stored->state(), results[i]->state()) << i;
  }
  ExpectInvariants();
}

TEST_P(BookingBatchesTest,
       AFailedBatchCommitFailsEveryoneRetryablyAndRetriesWork) {
  std::atomic<bool> fail{true};
  bookings_->SetBatchHookForTest([&](const std::vector<std::string>&) {
    return fail.load() ? absl::UnavailableError("injected commit failure")
                       : absl::OkStatus();
  });
  const std::string before = Snapshot();

  auto failed = Book("a@nhs.example", 1);

  EXPECT_THAT(failed.status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(GetRetryDelay(failed.status()).has_value());
  EXPECT_EQ(Snapshot(), before);
  fail = false;
  auto retried = Book("a@nhs.example", 1);
  ASSERT_THAT(retried, IsOk());
  EXPECT_EQ(retried->state(), v1::Booking::CONFIRMED);
}

TEST_P(BookingBatchesTest,
       PastThePendingLimitRequestsAreRefusedWithARetryHint) {
  bookings_ = std::make_unique<Bookings>(
      store_.get(), &clock_, Keys(), &directory_, cache_.get(),
      batching::GroupCommitOptions{.max_batch = 256, .max_pending = 2});
  absl::Notification held, release;
  std::atomic<int> batches{0};
  bookings_->SetBatchHookForTest([&](const std::vector<std::string>&) {
    if (batches++ == 0) {
      held.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(120));
    }
    return absl::OkStatus();
  });
  std::thread first([&] { EXPECT_THAT(Book("first@nhs.example", 1), IsOk()); });
  held.WaitForNotification();
  std::vector<std::thread> waiting;
  for (int i = 0; i < 2; ++i) {
    waiting.emplace_back([&, i] {
      EXPECT_THAT(Book(absl::StrCat("w", i, "@nhs.example"), 10 + i), IsOk());
    });
  }
  for (int i = 0; i < 1200 && bookings_->PendingBookings() < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }

  auto refused = Book("third@nhs.example", 20);

  EXPECT_THAT(refused.status(), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(GetRetryDelay(refused.status()).has_value());
  release.Notify();
  first.join();
  for (auto& t : waiting) t.join();
}

TRAINING_ON_BOTH_ENGINES(BookingBatchesTest);

}  // namespace
}  // namespace training::booking
