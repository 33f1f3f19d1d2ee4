// Booking under pressure, with the worker pool the server gives it: work
// that may block never runs on the caller's thread (gRPC's own, in the
// server), and a flash crowd on a session booking has not seen yet costs
// the catalogue one call.

#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/synchronization/notification.h"
#include "common/runtime/worker_pool.h"
#include "common/sql/testing/engines.h"
#include "common/status/errors.h"
#include "common/testing/status_matchers.h"
#include "services/booking/bookings_test_fixture.h"

namespace training::booking {
namespace {

using ::training::testing::StatusIs;

class BusyTest : public BookingsFixture {
 protected:
  // A Bookings whose blocking work goes to `pool`, as in the server.
  std::unique_ptr<Bookings> OffloadingTo(runtime::WorkerPool& pool) {
    return std::make_unique<Bookings>(
        store_.get(), &clock_, Keys(), &directory_, cache_.get(),
        batching::GroupCommitOptions{}, [&pool](std::function<void()> work) {
          return pool.TrySubmit(std::move(work));
        });
  }

  // Calls CreateBookingAsync and returns what it answered before
  // returning, if anything.
  static std::optional<absl::StatusOr<v1::Booking>> AnsweredAtOnce(
      Bookings& bookings, const v1::CreateBookingRequest& r) {
    std::optional<absl::StatusOr<v1::Booking>> answer;
    const std::thread::id caller = std::this_thread::get_id();
    bookings.CreateBookingAsync(Public(), r,
                                [&](absl::StatusOr<v1::Booking> b) {
                                  if (std::this_thread::get_id() == caller) {
                                    answer = std::move(b);
                                  }
                                });
    return answer;
  }

  // `count` requests for `session` (10 places; booking has not seen it)
  // reach a Bookings offloading to a pool of four, the i-th from
  // `caller_of(i)`, while the catalogue holds its first answer until all of
  // them have arrived. Returns their results.
  std::vector<absl::StatusOr<v1::Booking>> CrowdOnANewSession(
      const std::string& session, int count,
      const std::function<Caller(int)>& caller_of) {
    // Declared first, so that they outlive everything that answers into
    // them, whatever happens.
    std::vector<v1::CreateBookingRequest> requests;
    for (int i = 0; i < count; ++i)
      requests.push_back(Request(session, 10 + i));
    std::vector<absl::StatusOr<v1::Booking>> results(
        count, absl::UnknownError("not answered"));
    std::vector<absl::Notification> answered(count);
    absl::Notification answer;
    runtime::WorkerPool pool(4, 1000);
    absl::Cleanup unblock = [&] {
      if (!answer.HasBeenNotified()) answer.Notify();
    };
    std::unique_ptr<Bookings> bookings = OffloadingTo(pool);
    directory_.Put(CatalogueSession(session, 10, kNow - absl::Hours(10)));
    directory_.SetLookupHookForTest(
        [&](const Caller&) { answer.WaitForNotification(); });

    for (int i = 0; i < count; ++i) {
      bookings->CreateBookingAsync(caller_of(i), requests[i],
                                   [&, i](absl::StatusOr<v1::Booking> b) {
                                     results[i] = std::move(b);
                                     answered[i].Notify();
                                   });
    }
    for (absl::Time end = absl::Now() + absl::Seconds(120);
         directory_.lookups() == 0 && absl::Now() < end;) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    answer.Notify();
    for (auto& a : answered) {
      EXPECT_TRUE(a.WaitForNotificationWithTimeout(absl::Seconds(120)));
    }
    directory_.SetLookupHookForTest(nullptr);
    pool.Shutdown();
    return results;
  }

  static v1::CreateBookingRequest Request(const std::string& session, int n) {
    v1::CreateBookingRequest r;
    r.set_request_id(Uuid(n));
    r.mutable_booking()->set_session(session);
    *r.mutable_booking()->mutable_attendee() =
        Person(absl::StrCat("busy", n, "@nhs.example"));
    return r;
  }
};

// The pool's one thread is busy and its queue is full: a booking for a
// session not yet looked up, the first booking of an idle known session,
// and an any-date entry are each answered RESOURCE_EXHAUSTED with a retry
// hint at once, change nothing, and succeed when retried later.
TEST_P(BusyTest, AFullPoolAnswersRetryLaterAndRunsNothingOnTheCaller) {
  absl::Notification release;
  runtime::WorkerPool pool(1, 1);
  absl::Cleanup unblock = [&] {
    if (!release.HasBeenNotified()) release.Notify();
  };
  std::unique_ptr<Bookings> bookings = OffloadingTo(pool);
  const std::string unknown = "courses/intro-mi/sessions/unknown";
  directory_.Put(CatalogueSession(unknown, 5, kNow - absl::Hours(10)));
  ASSERT_THAT(bookings->CreateBooking(Public(), Request(kSession, 1)), IsOk())
      << "the session is now known and idle";
  // The booking's batch may still be finishing on the pool's thread.
  auto settle = [&pool](size_t busy) {
    for (absl::Time end = absl::Now() + absl::Seconds(120);
         pool.queued() > 0 || pool.busy() != busy;) {
      ASSERT_LT(absl::Now(), end) << "the pool did not settle";
      absl::SleepFor(absl::Milliseconds(1));
    }
  };
  settle(0);
  ASSERT_TRUE(pool.TrySubmit([&] { release.WaitForNotification(); }));
  settle(1);
  ASSERT_TRUE(pool.TrySubmit([] {}));  // the queue's one place
  const std::string before = Snapshot();
  const int lookups_before = directory_.lookups();
  v1::CreateBookingRequest any_date = Request("", 4);
  any_date.mutable_booking()->set_scope(v1::Booking::ANY_DATE);
  any_date.mutable_booking()->set_course("courses/intro-mi");

  const std::vector<v1::CreateBookingRequest> requests = {
      Request(unknown, 2), Request(kSession, 3), any_date};
  std::vector<std::optional<absl::StatusOr<v1::Booking>>> answers;
  for (const auto& r : requests)
    answers.push_back(AnsweredAtOnce(*bookings, r));

  for (size_t i = 0; i < answers.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(answers[i].has_value()) << "answered on the caller's thread";
    EXPECT_THAT(answers[i]->status(),
                StatusIs(absl::StatusCode::kResourceExhausted));
    EXPECT_TRUE(GetRetryDelay(answers[i]->status()).has_value());
  }
  EXPECT_EQ(directory_.lookups(), lookups_before);
  EXPECT_EQ(Snapshot(), before);

  release.Notify();
  settle(0);
  for (const auto& r : requests) {
    EXPECT_THAT(bookings->CreateBooking(Public(), r), IsOk());
  }
  pool.Shutdown();
}

// Fifty requests for a session this replica has not seen arrive while the
// first look-up is still out: the catalogue is asked once, and all fifty
// are decided once it answers.
TEST_P(BusyTest, AFlashCrowdOnANewSessionAsksTheCatalogueOnce) {
  const std::string session = "courses/intro-mi/sessions/crowd";

  std::vector<absl::StatusOr<v1::Booking>> results =
      CrowdOnANewSession(session, 50, [](int) { return Public(); });

  EXPECT_EQ(directory_.lookups(), 1);
  int confirmed = 0;
  for (const auto& result : results) {
    ASSERT_THAT(result, IsOk());
    confirmed += result->state() == v1::Booking::CONFIRMED;
  }
  EXPECT_EQ(confirmed, 10);
  ExpectInvariants(session);
}

// The first request for a new session comes from a caller whose deadline
// has already passed; nine more wait on its look-up. The look-up serves
// them all, so it runs under none of their deadlines: the nine are booked.
TEST_P(BusyTest, AHurriedFirstCallerDoesNotFailTheCrowdWaitingOnItsLookUp) {
  const std::string session = "courses/intro-mi/sessions/hurried";
  Caller hurried;
  hurried.deadline = absl::Now() - absl::Seconds(1);

  std::vector<absl::StatusOr<v1::Booking>> results = CrowdOnANewSession(
      session, 10, [&](int i) { return i == 0 ? hurried : Public(); });

  EXPECT_EQ(directory_.lookups(), 1);
  for (int i = 1; i < 10; ++i) EXPECT_THAT(results[i], IsOk()) << i;
  ExpectInvariants(session);
}

TRAINING_ON_BOTH_ENGINES(BusyTest);

}  // namespace
}  // namespace training::booking
