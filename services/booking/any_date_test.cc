// Entries for any date of a course against a real database (both
// engines): fair queueing across dates, one entry per address per course,
// and entries racing single-session bookings without deadlock.

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/sql/testing/engines.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "services/booking/waitlist_test_fixture.h"

namespace training::booking {
namespace {

using ::testing::ElementsAre;
using ::training::testing::StatusIs;

class AnyDateTest : public WaitlistFixture {};

TEST_P(AnyDateTest, AnyDateEntriesQueueFairlyAcrossTheirDates) {
  ScheduleSession(kOnline, 1, catalogue::ONLINE);
  ScheduleSession(kInPerson, 1, catalogue::IN_PERSON, absl::Hours(24));
  auto online_holder = Book("a@nhs.example", 1, kOnline);
  auto in_person_holder = Book("b@nhs.example", 2, kInPerson);
  ASSERT_THAT(online_holder, IsOk());
  ASSERT_THAT(in_person_holder, IsOk());

  auto any = BookAnyDate("any@nhs.example", 3, v1::Booking::ONLINE_ONLY);
  ASSERT_THAT(any, IsOk());
  EXPECT_EQ(any->state(), v1::Booking::WAITLISTED);
  EXPECT_EQ(any->waitlist_position(), 1);
  EXPECT_TRUE(any->session().empty());
  EXPECT_THAT(BookAnyDate("ANY@nhs.example", 4).status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Behind the any-date entry on the online date; alone on the other.
  auto online_waiter = Book("c@nhs.example", 5, kOnline);
  auto in_person_waiter = Book("d@nhs.example", 6, kInPerson);
  ASSERT_THAT(online_waiter, IsOk());
  ASSERT_THAT(in_person_waiter, IsOk());
  EXPECT_EQ(online_waiter->waitlist_position(), 2);
  EXPECT_EQ(in_person_waiter->waitlist_position(), 1);

  // A place in person is not for an online-only entry.
  ASSERT_THAT(Cancel(in_person_waiter->name()), IsOk());
  ASSERT_THAT(Cancel(in_person_holder->name()), IsOk());
  EXPECT_EQ(StateOf(any->name()), v1::Booking::WAITLISTED);
  EXPECT_EQ(AvailabilityNow(kInPerson).remaining(), 1);
  auto in_person = Book("e@nhs.example", 7, kInPerson);
  ASSERT_THAT(in_person, IsOk());
  EXPECT_EQ(in_person->state(), v1::Booking::CONFIRMED);

  // The online place goes to the any-date entry, first come.
  ASSERT_THAT(Cancel(online_holder->name()), IsOk());
  auto placed = Get(any->name());
  ASSERT_THAT(placed, IsOk());
  EXPECT_EQ(placed->state(), v1::Booking::OFFERED);
  EXPECT_EQ(placed->session(), kOnline);
  EXPECT_EQ(Current(online_waiter->name()).waitlist_position(), 1);
  ExpectOfferInvariants(kOnline);

  // With a place free on a matching date, an any-date entry takes it.
  ScheduleSession("courses/intro-mi/sessions/spare", 2, catalogue::ONLINE,
                  absl::Hours(48));
  auto direct = BookAnyDate("f@nhs.example", 8);
  ASSERT_THAT(direct, IsOk());
  EXPECT_EQ(direct->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(direct->session(), "courses/intro-mi/sessions/spare");

  // Refusals: an agency the course does not take, a course never heard of,
  // a session named with the course.
  EXPECT_EQ(
      GetErrorInfo(BookAnyDate("g@council.example", 9,
                               v1::Booking::DELIVERY_PREFERENCE_UNSPECIFIED,
                               type::CHILDRENS_SOCIAL_CARE)
                       .status())
          ->reason,
      "AGENCY_TYPE_NOT_ELIGIBLE");
  v1::CreateBookingRequest unknown;
  unknown.set_request_id(Uuid(10));
  unknown.mutable_booking()->set_scope(v1::Booking::ANY_DATE);
  unknown.mutable_booking()->set_course("courses/nope");
  *unknown.mutable_booking()->mutable_attendee() = Person("h@nhs.example");
  EXPECT_THAT(bookings_->CreateBooking(Public(), unknown).status(),
              StatusIs(absl::StatusCode::kNotFound));
  unknown.mutable_booking()->set_course("courses/intro-mi");
  unknown.mutable_booking()->set_session(kOnline);
  EXPECT_EQ(
      GetFieldViolations(bookings_->CreateBooking(Public(), unknown).status())
          .at(0)
          .field,
      "booking.session");
}

// One any-date entry per address per course, until its place has been and
// gone: a confirmed entry still counts, or a second entry would take a
// second date of the same course.
TEST_P(AnyDateTest, AConfirmedAnyDateEntryIsStillTheAddressesOneEntry) {
  ScheduleSession("courses/intro-mi/sessions/first", 5, catalogue::ONLINE,
                  absl::Hours(24));
  ScheduleSession("courses/intro-mi/sessions/second", 5, catalogue::ONLINE,
                  absl::Hours(72));
  auto entry = BookAnyDate("x@nhs.example", 1);
  ASSERT_THAT(entry, IsOk());
  ASSERT_EQ(entry->state(), v1::Booking::CONFIRMED);
  const std::string before = Snapshot();

  auto again = BookAnyDate("X@nhs.example", 2);

  EXPECT_THAT(again.status(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ReasonOf(again.status()), "ALREADY_BOOKED");
  EXPECT_EQ(Snapshot(), before);
  // Once the place has been and gone, the course can be taken again.
  clock_.Set(kNow + absl::Hours(24 * 60));
  auto later = BookAnyDate("x@nhs.example", 3);
  ASSERT_THAT(later, IsOk());
  EXPECT_EQ(later->state(), v1::Booking::WAITLISTED);
}

// An any-date entry races single-session bookings and cancellations on
// two dates: nothing deadlocks (a watchdog), nothing is overbooked, every
// count matches its rows and positions stay contiguous.
TEST_P(AnyDateTest, AnyDateEntriesAndConcurrentBookingsNeverDeadlock) {
  ScheduleSession(kOnline, 4, catalogue::ONLINE);
  ScheduleSession(kInPerson, 4, catalogue::IN_PERSON, absl::Hours(24));
  const bool postgres = GetParam() == sql::Engine::kPostgres;
  const std::string deadlocks =
      "SELECT deadlocks AS n FROM pg_stat_database WHERE datname = "
      "current_database()";
  const int64_t deadlocks_before = postgres ? Scalar(deadlocks) : 0;
  ASSERT_GE(deadlocks_before, 0);
  std::atomic<int> next_request{100};
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 1200 && !done; ++i)
      absl::SleepFor(absl::Milliseconds(100));
    if (!done) {
      ADD_FAILURE() << "no progress for 120 s: deadlock";
      std::abort();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<std::string> mine;
      for (int i = 0; i < 25; ++i) {
        const int n = next_request++;
        const std::string email = absl::StrCat("t", t, "n", i, "@nhs.example");
        absl::StatusOr<v1::Booking> made;
        switch (rng() % 3) {
          case 0:
            made = BookAnyDate(email, n);
            break;
          case 1:
            made = Book(email, n, kOnline);
            break;
          default:
            made = Book(email, n, kInPerson);
        }
        if (made.ok()) mine.push_back(made->name());
        if (!mine.empty() && rng() % 3 == 0) {
          (void)Cancel(mine[rng() % mine.size()]);
        }
        if (!mine.empty() && rng() % 4 == 0) {
          (void)Accept(mine[rng() % mine.size()]);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  done = true;
  watchdog.join();

  for (const char* session : {kOnline, kInPerson}) {
    ExpectOfferInvariants(session);
  }
  // Every waiting position is the entry's rank, by arrival (seq), among
  // the entries of its list: its date's own plus the any-date ones (which
  // accept every date here), or the any-date ones alone.
  auto tx = db_->Begin(sql::TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto rows = (*tx)->Query(
      "SELECT reference, session, scope, seq FROM bookings WHERE state = 2 "
      "ORDER BY seq");
  ASSERT_THAT(rows, IsOk());
  std::map<std::string, int> expected;
  std::map<std::string, int> seen_on;  // entries so far on each list
  for (size_t i = 0; i < rows->size(); ++i) {
    const std::string reference = *rows->GetString(i, "reference");
    if (*rows->GetInt64(i, "scope") == v1::Booking::ANY_DATE) {
      for (const char* list : {"any", kOnline, kInPerson}) ++seen_on[list];
      expected[reference] = seen_on["any"];
    } else {
      const std::string session =
          rows->GetOptionalString(i, "session")->value_or("");
      expected[reference] = ++seen_on[session];
    }
  }
  ASSERT_GT(expected.size(), 0u);
  for (const auto& [reference, position] : expected) {
    auto b = Get(BookingName(reference));
    ASSERT_THAT(b, IsOk());
    EXPECT_EQ(b->waitlist_position(), position) << reference;
  }
  // PostgreSQL detects deadlocks and aborts one side (which Run would
  // retry): none may have happened at all.
  if (postgres) {
    absl::SleepFor(absl::Milliseconds(600));  // statistics are flushed late
    EXPECT_EQ(Scalar(deadlocks), deadlocks_before);
  }
  // Nobody holds two places of one date.
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM (SELECT session, email_key "
                   "FROM bookings WHERE state IN (1, 2, 3) AND session IS "
                   "NOT NULL GROUP BY session, email_key HAVING COUNT(*) > 1) "
                   "d"),
            0);
}

TRAINING_ON_BOTH_ENGINES(AnyDateTest);

}  // namespace
}  // namespace training::booking
