// Booking a session's place against a real database (both engines) and a
// real Redis: decisions in arrival order, refusals that change nothing,
// sessions learnt from the catalogue, idempotent request ids and their
// retention, references that clash, and a random generator that fails.

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

class CreateBookingTest : public BookingsFixture {};

TEST_P(CreateBookingTest, ConfirmsUntilFullThenWaitlistsInOrder) {
  std::vector<v1::Booking::State> states;
  std::vector<int> positions;
  for (int i = 0; i < 5; ++i) {
    auto booking = Book(absl::StrCat("p", i, "@nhs.example"), i);
    ASSERT_THAT(booking, IsOk());
    states.push_back(booking->state());
    positions.push_back(booking->waitlist_position());
    EXPECT_FALSE(booking->manage_token().empty());
    EXPECT_TRUE(tokens_->Verify(booking->name(), 1, booking->manage_token()));
  }

  EXPECT_THAT(states,
              ElementsAre(v1::Booking::CONFIRMED, v1::Booking::CONFIRMED,
                          v1::Booking::CONFIRMED, v1::Booking::WAITLISTED,
                          v1::Booking::WAITLISTED));
  EXPECT_THAT(positions, ElementsAre(0, 0, 0, 1, 2));
  ExpectInvariants();
  EXPECT_EQ(Scalar("SELECT COALESCE(SUM(event_count), 0) AS n FROM outbox"), 5);
}

TEST_P(CreateBookingTest, RefusalsChangeNothing) {
  ASSERT_THAT(Book("taken@nhs.example", 1), IsOk());
  Schedule("courses/intro-mi/sessions/closed", 3);
  clock_.Advance(absl::Hours(24 * 10));  // every window has now closed
  const std::string closed_snapshot = Snapshot();
  EXPECT_EQ(ReasonOf(Book("late@nhs.example", 2).status()), "BOOKING_CLOSED");
  EXPECT_EQ(Snapshot(), closed_snapshot);
  clock_.Set(kNow);
  const std::string before = Snapshot();

  auto duplicate = Book("TAKEN@nhs.example", 3);
  auto ineligible = Book("cop@police.example", 4, kSession, type::POLICE);
  auto unknown = Book("x@nhs.example", 5, "courses/intro-mi/sessions/nope");

  EXPECT_THAT(duplicate.status(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(std::string(duplicate.status().message()),
              ::testing::Not(::testing::HasSubstr("bookings/")));
  EXPECT_EQ(ReasonOf(ineligible.status()), "AGENCY_TYPE_NOT_ELIGIBLE");
  EXPECT_THAT(unknown.status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(CreateBookingTest, DraftCoursesAndCancelledSessionsTakeNoBookings) {
  events::v1::Event archived;
  archived.mutable_course_archived()->set_course("courses/intro-mi");
  *archived.mutable_occur_time() = ToProto(kNow);
  ASSERT_THAT(Apply(archived), IsOk());
  EXPECT_EQ(ReasonOf(Book("a@nhs.example", 1).status()),
            "COURSE_NOT_PUBLISHED");
}

TEST_P(CreateBookingTest, UnknownSessionsAreAskedOfTheCatalogueOnce) {
  directory_.Put(CatalogueSession("courses/intro-mi/sessions/new1", 2, kNow));

  auto first = Book("a@nhs.example", 1, "courses/intro-mi/sessions/new1");
  auto second = Book("b@nhs.example", 2, "courses/intro-mi/sessions/new1");

  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(directory_.lookups(), 1);
}

TEST_P(CreateBookingTest, SameRequestIdGivesTheSameAnswerEvenAfterARestart) {
  auto first = Book("a@nhs.example", 7);
  ASSERT_THAT(first, IsOk());
  const std::string after_first = Snapshot();

  // A new Bookings over the same database is a restarted process.
  bookings_ = std::make_unique<Bookings>(store_.get(), &clock_, Keys(),
                                         &directory_, cache_.get());
  clock_.Advance(absl::Hours(23));
  auto again = Book("a@nhs.example", 7);
  auto other = Book("someone-else@nhs.example", 7);

  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name(), first->name());
  EXPECT_EQ(again->manage_token(), first->manage_token());
  EXPECT_EQ(again->state(), first->state());
  EXPECT_THAT(other.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ReasonOf(other.status()), "REQUEST_ID_REUSED");
  EXPECT_EQ(Snapshot(), after_first);
}

TEST_P(CreateBookingTest, RequestIdsAreKeptForTheRetentionPeriodThenSwept) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(Book(absl::StrCat("p", i, "@nhs.example"), i), IsOk());
  }
  clock_.Advance(kRequestRetention - absl::Minutes(1));
  ASSERT_THAT(Book("x@nhs.example", 10), IsOk());
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM requests"), 4)
      << "nothing younger than the retention period goes";

  clock_.Advance(absl::Minutes(2));
  ASSERT_THAT(Book("y@nhs.example", 11), IsOk());

  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM requests"), 2);
}

TEST_P(CreateBookingTest, ARequestIdPastRetentionIsANewRequest) {
  // Five older expired records: the sweep (four oldest per save) leaves
  // request 7's record in place, so it must be replaced by id.
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(Book(absl::StrCat("p", i, "@nhs.example"), i), IsOk());
  }
  clock_.Advance(absl::Minutes(1));
  auto first = Book("a@nhs.example", 7);
  ASSERT_THAT(first, IsOk());
  clock_.Advance(kRequestRetention + absl::Minutes(1));

  auto again = Book("b@nhs.example", 7);

  ASSERT_THAT(again, IsOk());
  EXPECT_NE(again->name(), first->name());
  EXPECT_EQ(again->attendee().email(), "b@nhs.example");
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM bookings"), 7);
}

// References and contact ids must not be guessed: when the generator fails,
// the request fails and nothing is written, never a weak value.
TEST_P(CreateBookingTest, NothingIsMadeWhenTheRandomGeneratorFails) {
  auto booking = Book("a@nhs.example", 1);
  ASSERT_THAT(booking, IsOk());
  const std::string before = Snapshot();
  v1::SubstituteAttendeeRequest substitute;
  substitute.set_name(booking->name());
  *substitute.mutable_attendee() = Person("colleague@nhs.example");
  v1::CreateBookingRequest any_date;
  any_date.set_request_id(Uuid(2));
  any_date.mutable_booking()->set_course("courses/intro-mi");
  any_date.mutable_booking()->set_scope(v1::Booking::ANY_DATE);
  *any_date.mutable_booking()->mutable_attendee() = Person("b@nhs.example");
  random::ScopedSecureBytesFailureForTest failing;

  auto made = Book("c@nhs.example", 3);
  auto entered = bookings_->CreateBooking(Public(), any_date);
  auto substituted = bookings_->SubstituteAttendee(Admin(), substitute);

  EXPECT_THAT(made.status(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(entered.status(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(substituted.status(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(Snapshot(), before);
}

// References carry 30 random bits after the session's prefix: a clash is
// rare but must cost nothing. A source that hands out the first booking's
// bytes again makes the second booking's first reference clash: the batch
// is decided again with fresh bytes, and both people are booked once.
TEST_P(CreateBookingTest, AReferenceClashIsDecidedAgainWithAFreshReference) {
  int draws = 0;
  std::string first_bytes;
  bookings_->SetRandomBytesForTest(
      [&](size_t n) -> absl::StatusOr<std::string> {
        ++draws;
        if (draws == 2) return first_bytes;  // the clash
        absl::StatusOr<std::string> bytes = random::SecureBytes(n);
        if (draws == 1 && bytes.ok()) first_bytes = *bytes;
        return bytes;
      });

  auto first = Book("a@nhs.example", 1);
  auto second = Book("b@nhs.example", 2);

  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(draws, 3);  // the clash, then a fresh draw
  EXPECT_NE(first->reference(), second->reference());
  EXPECT_EQ(second->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM bookings"), 2);
  EXPECT_EQ(Scalar("SELECT confirmed AS n FROM inventory"), 2);
}

// The contract: confirm_time is unset while waiting, not 1970-01-01.
TEST_P(CreateBookingTest, AWaitingBookingHasNoConfirmTimeUntilConfirmed) {
  absl::StatusOr<v1::Booking> waiting;
  std::vector<v1::Booking> confirmed;
  for (int i = 0; i < 50; ++i) {
    auto made = Book(absl::StrCat("w", i, "@nhs.example"), 700 + i);
    ASSERT_THAT(made, IsOk());
    if (made->state() == v1::Booking::WAITLISTED) {
      waiting = made;
      break;
    }
    confirmed.push_back(*made);
  }
  ASSERT_THAT(waiting, IsOk());
  ASSERT_FALSE(confirmed.empty());

  EXPECT_FALSE(waiting->has_confirm_time());
  EXPECT_FALSE(Current(waiting->name()).has_confirm_time());
  EXPECT_TRUE(Current(confirmed[0].name()).has_confirm_time());
  ASSERT_THAT(Cancel(confirmed[0].name()), IsOk());
  auto promoted = Get(waiting->name());
  ASSERT_THAT(promoted, IsOk());
  EXPECT_EQ(promoted->state(), v1::Booking::CONFIRMED);
  EXPECT_TRUE(promoted->has_confirm_time());
}

TRAINING_ON_BOTH_ENGINES(CreateBookingTest);

}  // namespace
}  // namespace training::booking
