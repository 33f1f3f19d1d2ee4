// One request whose write fails must not fail the others committed in the
// same batch with it (group commit, group_commit.h).

#include <set>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "services/booking/bookings_test_fixture.h"

namespace training::booking {
namespace {

using ::testing::HasSubstr;
using ::training::testing::StatusIs;

class BatchIsolationTest : public BookingsFixture {};

// Twelve requests gather behind a held batch; two of them cannot be
// written (the hook refuses any batch that holds them, as the database
// refuses a value). The batch of twelve fails, is decided again in
// halves, and each failing request ends up failing alone: the ten others
// are booked, and the counts are those of ten bookings.
TEST_P(BatchIsolationTest, ARequestWhoseWriteFailsFailsAloneNotItsBatch) {
  constexpr int kQueued = 12;
  const std::set<std::string> poisoned = {Uuid(103), Uuid(108)};
  absl::Notification held, release;
  std::atomic<int> batches{0};
  bookings_->SetBatchHookForTest([&](const std::vector<std::string>& ids) {
    if (batches.fetch_add(1) == 0) {
      held.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(120));
    }
    for (const std::string& id : ids) {
      if (poisoned.contains(id)) {
        return absl::InternalError("injected: this row cannot be written");
      }
    }
    return absl::OkStatus();
  });
  std::thread first([&] { EXPECT_THAT(Book("first@nhs.example", 1), IsOk()); });
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
  ASSERT_EQ(bookings_->PendingBookings(), static_cast<size_t>(kQueued));

  release.Notify();
  first.join();
  for (auto& t : queued) t.join();

  std::set<int> positions;
  int confirmed = 0;
  for (int i = 0; i < kQueued; ++i) {
    SCOPED_TRACE(i);
    if (poisoned.contains(Uuid(100 + i))) {
      EXPECT_THAT(results[i].status(),
                  StatusIs(absl::StatusCode::kInternal, HasSubstr("injected")));
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

INSTANTIATE_TEST_SUITE_P(BothEngines, BatchIsolationTest,
                         ::testing::Values(sql::Engine::kSqlite,
                                           sql::Engine::kPostgres),
                         [](const auto& info) {
                           return std::string(
                               sql::testing::EngineName(info.param));
                         });

}  // namespace
}  // namespace training::booking
