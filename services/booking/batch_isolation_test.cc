// One request whose write fails must not fail the others committed in the
// same batch with it (group commit, common/batching/group_commit.h); a failure
// that is nobody's request's fault must not multiply transactions either.

#include <set>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/sql/testing/engines.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "services/booking/bookings_test_fixture.h"

namespace training::booking {
namespace {

using ::testing::HasSubstr;
using ::training::testing::StatusIs;

constexpr int kQueued = 12;

class BatchIsolationTest : public BookingsFixture {
 protected:
  // Books kQueued people (request ids 100…) behind a first booking whose
  // batch is held open, so that they gather into one batch; `refuse`
  // decides, for each batch after the first, whether its writes fail.
  // Returns the kQueued results; counts the batches run in `batches`.
  std::vector<absl::StatusOr<v1::Booking>> BookBehindAHeldBatch(
      std::function<absl::Status(const std::vector<std::string>&)> refuse) {
    absl::Notification held, release;
    bookings_->SetBatchHookForTest([&](const std::vector<std::string>& ids) {
      if (batches_.fetch_add(1) == 0) {
        held.Notify();
        release.WaitForNotificationWithTimeout(absl::Seconds(120));
        return absl::OkStatus();
      }
      return refuse(ids);
    });
    std::thread first(
        [&] { EXPECT_THAT(Book("first@nhs.example", 1), IsOk()); });
    held.WaitForNotification();
    std::vector<absl::StatusOr<v1::Booking>> results(kQueued);
    std::vector<std::thread> queued;
    for (int i = 0; i < kQueued; ++i) {
      queued.emplace_back([&, i] {
        results[i] = Book(absl::StrCat("q", i, "@nhs.example"), 100 + i);
      });
    }
    for (absl::Time end = absl::Now() + absl::Seconds(120);
         bookings_->PendingBookings() < kQueued && absl::Now() < end;) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    EXPECT_EQ(bookings_->PendingBookings(), static_cast<size_t>(kQueued));
    release.Notify();
    first.join();
    for (auto& t : queued) t.join();
    return results;
  }

  std::atomic<int> batches_{0};
};

// Two of the twelve cannot be written (the hook refuses any batch that
// holds them, as PostgreSQL refuses a value with a data exception:
// INVALID_ARGUMENT). The batch of twelve fails, is decided again in
// halves, and each failing request ends up failing alone: the ten others
// are booked, and the counts are those of ten bookings.
TEST_P(BatchIsolationTest, ARequestWhoseWriteFailsFailsAloneNotItsBatch) {
  const std::set<std::string> poisoned = {Uuid(103), Uuid(108)};

  std::vector<absl::StatusOr<v1::Booking>> results =
      BookBehindAHeldBatch([&](const std::vector<std::string>& ids) {
        for (const std::string& id : ids) {
          if (poisoned.contains(id)) {
            return absl::InvalidArgumentError(
                "injected: a value the database refuses");
          }
        }
        return absl::OkStatus();
      });

  std::set<int> positions;
  int confirmed = 0;
  for (int i = 0; i < kQueued; ++i) {
    SCOPED_TRACE(i);
    if (poisoned.contains(Uuid(100 + i))) {
      EXPECT_THAT(
          results[i].status(),
          StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("injected")));
      continue;
    }
    ASSERT_THAT(results[i], IsOk());
    confirmed += results[i]->state() == v1::Booking::CONFIRMED;
    if (results[i]->state() == v1::Booking::WAITLISTED) {
      positions.insert(results[i]->waitlist_position());
    }
  }
  EXPECT_EQ(confirmed, 2) << "the first request took one of three places";
  EXPECT_EQ(positions, (std::set<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM bookings"), 11);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM bookings WHERE email_key IN "
                   "('q3@nhs.example', 'q8@nhs.example')"),
            0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM requests"), 11);
  ExpectInvariants();
}

// A failure that would fail every half (a bug, INTERNAL) fails the batch
// once: no request is to blame, so nothing is split.
TEST_P(BatchIsolationTest, AFailureOfEveryRequestIsNotSplit) {
  std::vector<absl::StatusOr<v1::Booking>> results =
      BookBehindAHeldBatch([](const std::vector<std::string>&) {
        return absl::InternalError("injected: the statement is wrong");
      });

  for (const auto& result : results) {
    EXPECT_THAT(result.status(), StatusIs(absl::StatusCode::kInternal));
  }
  EXPECT_EQ(batches_.load(), 2) << "the held batch and the failed one";
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM bookings"), 1);
}

TRAINING_ON_BOTH_ENGINES(BatchIsolationTest);

}  // namespace
}  // namespace training::booking
