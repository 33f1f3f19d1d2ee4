// The booking core against a real database (both engines) and a real
// Redis: decisions, idempotency, tokens, cancellation with promotion,
// substitution, capacity changes and cancelled sessions from catalogue
// events, bad input, a property test against a reference model, and a
// storm of concurrent bookings and cancellations.

#include "services/booking/bookings.h"

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

class BookingsTest : public BookingsFixture {};

TEST_P(BookingsTest, ConfirmsUntilFullThenWaitlistsInOrder) {
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

TEST_P(BookingsTest, RefusalsChangeNothing) {
  ASSERT_THAT(Book("taken@nhs.example", 1), IsOk());
  Schedule("courses/intro-mi/sessions/closed", 3);
  clock_.Advance(absl::Hours(24 * 10));  // every window has now closed
  const std::string closed_snapshot = Snapshot();
  EXPECT_EQ(GetErrorInfo(Book("late@nhs.example", 2).status())->reason,
            "BOOKING_CLOSED");
  EXPECT_EQ(Snapshot(), closed_snapshot);
  clock_.Set(kNow);
  const std::string before = Snapshot();

  auto duplicate = Book("TAKEN@nhs.example", 3);
  auto ineligible = Book("cop@police.example", 4, kSession, type::POLICE);
  auto unknown = Book("x@nhs.example", 5, "courses/intro-mi/sessions/nope");

  EXPECT_THAT(duplicate.status(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(std::string(duplicate.status().message()),
              ::testing::Not(::testing::HasSubstr("bookings/")));
  EXPECT_EQ(GetErrorInfo(ineligible.status())->reason,
            "AGENCY_TYPE_NOT_ELIGIBLE");
  EXPECT_THAT(unknown.status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(BookingsTest, DraftCoursesAndCancelledSessionsTakeNoBookings) {
  events::v1::Event archived;
  archived.mutable_course_archived()->set_course("courses/intro-mi");
  *archived.mutable_occur_time() = ToProto(kNow);
  ASSERT_THAT(Apply(archived), IsOk());
  EXPECT_EQ(GetErrorInfo(Book("a@nhs.example", 1).status())->reason,
            "COURSE_NOT_PUBLISHED");
}

TEST_P(BookingsTest, UnknownSessionsAreAskedOfTheCatalogueOnce) {
  directory_.Put(CatalogueSession("courses/intro-mi/sessions/new1", 2, kNow));

  auto first = Book("a@nhs.example", 1, "courses/intro-mi/sessions/new1");
  auto second = Book("b@nhs.example", 2, "courses/intro-mi/sessions/new1");

  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(directory_.lookups(), 1);
}

TEST_P(BookingsTest, SameRequestIdGivesTheSameAnswerEvenAfterARestart) {
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
  EXPECT_EQ(GetErrorInfo(other.status())->reason, "REQUEST_ID_REUSED");
  EXPECT_EQ(Snapshot(), after_first);
}

TEST_P(BookingsTest, RequestIdsAreKeptForTheRetentionPeriodThenSwept) {
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

TEST_P(BookingsTest, ARequestIdPastRetentionIsANewRequest) {
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

TEST_P(BookingsTest, WrongTokenAndUnknownReferenceLookTheSame) {
  auto booking = Book("a@nhs.example", 1);
  ASSERT_THAT(booking, IsOk());
  v1::GetBookingRequest mine;
  mine.set_name(booking->name());
  v1::GetBookingRequest unknown;
  unknown.set_name("bookings/ZZZZZZZZ");

  auto with_token =
      bookings_->GetBooking(Holder(booking->manage_token()), mine);
  auto wrong_token = bookings_->GetBooking(Holder("not-the-token"), mine);
  auto no_such =
      bookings_->GetBooking(Holder(booking->manage_token()), unknown);

  ASSERT_THAT(with_token, IsOk());
  EXPECT_TRUE(with_token->manage_token().empty());
  EXPECT_TRUE(with_token->attendee().access_needs().empty())
      << "access needs are for admins";
  EXPECT_EQ(Get(booking->name())->attendee().access_needs(),
            "Step-free access");
  EXPECT_THAT(wrong_token.status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(wrong_token.status(), no_such.status());
}

TEST_P(BookingsTest, CancellingFreesThePlaceForTheHeadOfTheList) {
  std::vector<v1::Booking> made;
  for (int i = 0; i < 5; ++i) {
    made.push_back(*Book(absl::StrCat("p", i, "@nhs.example"), i));
  }
  clock_.Set(kNow + absl::Hours(24 * 9));  // inside the 48-hour window

  auto cancelled = Cancel(made[1].name(), Holder(made[1].manage_token()));

  ASSERT_THAT(cancelled, IsOk());
  EXPECT_EQ(cancelled->state(), v1::Booking::CANCELLED);
  EXPECT_TRUE(cancelled->cancellation().late());
  EXPECT_EQ(cancelled->cancellation().cause(), v1::Cancellation::ATTENDEE);
  EXPECT_EQ(Get(made[3].name())->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(Get(made[4].name())->waitlist_position(), 1);
  ExpectInvariants();
  // Cancelling twice changes nothing more.
  const std::string before = Snapshot();
  EXPECT_THAT(Cancel(made[1].name()), IsOk());
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(BookingsTest, ASubstituteKeepsThePlaceAndTheRules) {
  auto booking = Book("a@nhs.example", 1);
  ASSERT_THAT(Book("b@nhs.example", 2), IsOk());
  ASSERT_THAT(booking, IsOk());
  v1::SubstituteAttendeeRequest r;
  r.set_name(booking->name());
  *r.mutable_attendee() = Person("b@nhs.example");

  auto duplicate =
      bookings_->SubstituteAttendee(Holder(booking->manage_token()), r);
  *r.mutable_attendee() = Person("cop@police.example", type::POLICE);
  auto ineligible =
      bookings_->SubstituteAttendee(Holder(booking->manage_token()), r);
  *r.mutable_attendee() = Person("colleague@nhs.example");
  auto substituted =
      bookings_->SubstituteAttendee(Holder(booking->manage_token()), r);

  EXPECT_THAT(duplicate.status(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(ineligible.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(substituted, IsOk());
  EXPECT_EQ(substituted->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(substituted->attendee().email(), "colleague@nhs.example");
  ASSERT_EQ(substituted->substitutions_size(), 1);
  EXPECT_EQ(substituted->substitutions(0).actor(), "attendee");
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM previous_contacts"), 1);
  // The old person's details go when the booking ends.
  ASSERT_THAT(Cancel(booking->name()), IsOk());
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM previous_contacts"), 0);
}

// Catalogue events come over Redis: one whose capacity would overflow the
// counts is refused (and so dead-lettered by the consumer) and changes
// nothing; the booking path goes on as before.
TEST_P(BookingsTest, AnOutOfRangeCatalogueEventChangesNothing) {
  ASSERT_THAT(Book("a@nhs.example", 1), IsOk());
  const std::string before = Snapshot();

  absl::Status huge = ChangeCapacity(std::numeric_limits<int>::max());
  absl::Status negative = ChangeCapacity(-1);

  EXPECT_THAT(huge, StatusIs(absl::StatusCode::kInvalidArgument,
                             ::testing::HasSubstr("capacity")));
  EXPECT_THAT(negative, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Snapshot(), before);
  ASSERT_THAT(Book("b@nhs.example", 2), IsOk());
  ExpectInvariants();
}

// References and contact ids must not be guessed: when the generator fails,
// the request fails and nothing is written, never a weak value.
TEST_P(BookingsTest, NothingIsMadeWhenTheRandomGeneratorFails) {
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

// The contract: confirm_time is unset while waiting, not 1970-01-01.
TEST_P(BookingsTest, AWaitingBookingHasNoConfirmTimeUntilConfirmed) {
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
  EXPECT_FALSE(Get(waiting->name())->has_confirm_time());
  EXPECT_TRUE(Get(confirmed[0].name())->has_confirm_time());
  ASSERT_THAT(Cancel(confirmed[0].name()), IsOk());
  auto promoted = Get(waiting->name());
  ASSERT_THAT(promoted, IsOk());
  EXPECT_EQ(promoted->state(), v1::Booking::CONFIRMED);
  EXPECT_TRUE(promoted->has_confirm_time());
}

// The person replaced must lose the colleague's details and the power to
// cancel their place: the substitution re-keys the booking.
TEST_P(BookingsTest, ASubstitutionReKeysTheBookingAndTheOldTokenOpensNothing) {
  auto booking = Book("a@nhs.example", 1);
  ASSERT_THAT(booking, IsOk());
  const std::string old_token = booking->manage_token();
  v1::SubstituteAttendeeRequest r;
  r.set_name(booking->name());
  r.set_request_id(Uuid(500));
  *r.mutable_attendee() = Person("colleague@nhs.example");

  auto substituted = bookings_->SubstituteAttendee(Holder(old_token), r);

  ASSERT_THAT(substituted, IsOk());
  const std::string new_token = substituted->manage_token();
  EXPECT_FALSE(new_token.empty()) << "the answer carries the colleague's";
  EXPECT_NE(new_token, old_token);
  v1::GetBookingRequest get;
  get.set_name(booking->name());
  EXPECT_THAT(bookings_->GetBooking(Holder(old_token), get).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Cancel(booking->name(), Holder(old_token)).status(),
              StatusIs(absl::StatusCode::kNotFound));
  auto seen = bookings_->GetBooking(Holder(new_token), get);
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(seen->attendee().email(), "colleague@nhs.example");
  EXPECT_TRUE(seen->manage_token().empty());
}

// CreateBooking's replay answers with the booking, but no longer with a
// token (the only token that opens it now is the colleague's), nor with
// anything of the colleague.
TEST_P(BookingsTest,
       AReplayedCreateAfterASubstitutionCarriesNoTokenOrColleague) {
  auto booking = Book("a@nhs.example", 1);
  ASSERT_THAT(booking, IsOk());
  v1::SubstituteAttendeeRequest r;
  r.set_name(booking->name());
  *r.mutable_attendee() = Person("colleague@nhs.example");
  ASSERT_THAT(bookings_->SubstituteAttendee(Admin(), r), IsOk());

  auto replay = Book("a@nhs.example", 1);

  ASSERT_THAT(replay, IsOk());
  EXPECT_EQ(replay->name(), booking->name());
  EXPECT_TRUE(replay->manage_token().empty());
  EXPECT_EQ(replay->attendee().email(), "");
  EXPECT_EQ(replay->attendee().display_name(), "");
  EXPECT_EQ(replay->attendee().phone(), "");
  EXPECT_EQ(replay->attendee().line_manager_email(), "");
  EXPECT_EQ(Get(booking->name())->attendee().email(), "colleague@nhs.example");
}

// A substitution whose answer was lost can be retried with the same request
// id and the token it was made with, and answers with the same new token;
// the old token does nothing else, and a second substitution ends even that.
TEST_P(BookingsTest, ARetriedSubstitutionAnswersAgainWithTheNewTokenOnly) {
  auto booking = Book("a@nhs.example", 1);
  ASSERT_THAT(booking, IsOk());
  const std::string old_token = booking->manage_token();
  v1::SubstituteAttendeeRequest r;
  r.set_name(booking->name());
  r.set_request_id(Uuid(501));
  *r.mutable_attendee() = Person("colleague@nhs.example");
  auto first = bookings_->SubstituteAttendee(Holder(old_token), r);
  ASSERT_THAT(first, IsOk());
  const std::string before = Snapshot();

  auto retry = bookings_->SubstituteAttendee(Holder(old_token), r);
  v1::SubstituteAttendeeRequest other = r;
  other.set_request_id(Uuid(502));
  *other.mutable_attendee() = Person("third@nhs.example");
  auto another = bookings_->SubstituteAttendee(Holder(old_token), other);

  ASSERT_THAT(retry, IsOk());
  EXPECT_EQ(retry->manage_token(), first->manage_token());
  EXPECT_THAT(another.status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Snapshot(), before);
  // Past the retry window the old token opens nothing, retry or not.
  clock_.Advance(Bookings::kSubstitutionRetryWindow + absl::Seconds(1));
  EXPECT_THAT(bookings_->SubstituteAttendee(Holder(old_token), r).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

// Nor does a retry work once anything changed the booking after the
// substitution, even within the window: the colleague cancelling, say.
TEST_P(BookingsTest, ARetriedSubstitutionOpensNothingOnceTheBookingMovedOn) {
  auto booking = Book("a@nhs.example", 1);
  ASSERT_THAT(booking, IsOk());
  v1::SubstituteAttendeeRequest r;
  r.set_name(booking->name());
  r.set_request_id(Uuid(503));
  *r.mutable_attendee() = Person("colleague@nhs.example");
  auto first =
      bookings_->SubstituteAttendee(Holder(booking->manage_token()), r);
  ASSERT_THAT(first, IsOk());
  clock_.Advance(absl::Seconds(5));
  ASSERT_THAT(Cancel(booking->name(), Holder(first->manage_token())), IsOk());

  auto retry =
      bookings_->SubstituteAttendee(Holder(booking->manage_token()), r);

  EXPECT_THAT(retry.status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(BookingsTest, ReplacedAttendeesAreForgottenWhenTheSessionEnds) {
  auto booking = Book("a@nhs.example", 1);
  ASSERT_THAT(booking, IsOk());
  v1::SubstituteAttendeeRequest r;
  r.set_name(booking->name());
  *r.mutable_attendee() = Person("colleague@nhs.example");
  ASSERT_THAT(bookings_->SubstituteAttendee(Admin(), r), IsOk());

  EXPECT_EQ(*bookings_->ForgetEndedContacts(), 0);
  clock_.Set(kNow + absl::Hours(24 * 10 + 4));  // after the end
  EXPECT_EQ(*bookings_->ForgetEndedContacts(), 1);

  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM previous_contacts"), 0);
  EXPECT_EQ(Get(booking->name())->substitutions_size(), 1)
      << "who and when stay";
}

TEST_P(BookingsTest, CapacityChangesPromoteWhoFitsAndBumpNobody) {
  std::vector<v1::Booking> made;
  for (int i = 0; i < 6; ++i) {
    made.push_back(*Book(absl::StrCat("p", i, "@nhs.example"), i));
  }

  ASSERT_THAT(ChangeCapacity(5), IsOk());
  EXPECT_EQ(Get(made[3].name())->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(Get(made[4].name())->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(Get(made[5].name())->waitlist_position(), 1);
  ExpectInvariants();

  ASSERT_THAT(ChangeCapacity(2), IsOk());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Get(made[i].name())->state(), v1::Booking::CONFIRMED) << i;
  }
  ASSERT_THAT(Cancel(made[0].name()), IsOk());
  EXPECT_EQ(Get(made[5].name())->state(), v1::Booking::WAITLISTED)
      << "no confirmation until below the new capacity";
  EXPECT_EQ(Book("new@nhs.example", 99)->state(), v1::Booking::WAITLISTED);
}

TEST_P(BookingsTest, ACancelledSessionCancelsEveryBookingWithTheReason) {
  std::vector<v1::Booking> made;
  for (int i = 0; i < 4; ++i) {
    made.push_back(*Book(absl::StrCat("p", i, "@nhs.example"), i));
  }
  events::v1::Event event;
  event.mutable_session_cancelled()->set_session(kSession);
  event.mutable_session_cancelled()->set_reason("Trainer unwell");

  ASSERT_THAT(Apply(event), IsOk());

  for (const auto& booking : made) {
    auto now = Get(booking.name());
    ASSERT_THAT(now, IsOk());
    EXPECT_EQ(now->state(), v1::Booking::CANCELLED);
    EXPECT_EQ(now->cancellation().cause(), v1::Cancellation::SESSION_CANCELLED);
    EXPECT_EQ(now->cancellation().reason(), "Trainer unwell");
    EXPECT_FALSE(now->cancellation().late());
  }
  EXPECT_EQ(GetErrorInfo(Book("new@nhs.example", 99).status())->reason,
            "SESSION_CANCELLED");
  ExpectInvariants();
}

TEST_P(BookingsTest, LeavingTheListMovesEveryoneBehindUp) {
  std::vector<v1::Booking> made;
  for (int i = 0; i < 6; ++i) {
    made.push_back(*Book(absl::StrCat("p", i, "@nhs.example"), i));
  }
  v1::LeaveWaitlistRequest leave;
  leave.set_name(made[3].name());

  auto left = bookings_->LeaveWaitlist(Holder(made[3].manage_token()), leave);

  ASSERT_THAT(left, IsOk());
  EXPECT_EQ(left->state(), v1::Booking::LEFT_WAITLIST);
  EXPECT_EQ(Get(made[4].name())->waitlist_position(), 1);
  EXPECT_EQ(Get(made[5].name())->waitlist_position(), 2);
  leave.set_name(made[0].name());
  EXPECT_THAT(bookings_->LeaveWaitlist(Admin(), leave).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ExpectInvariants();
}

TEST_P(BookingsTest, BadInputOnEveryOperationNamesTheFieldAndChangesNothing) {
  auto booking = Book("a@nhs.example", 1);
  ASSERT_THAT(booking, IsOk());
  const std::string before = Snapshot();
  struct Row {
    const char* field;
    std::function<absl::Status()> call;
  } rows[] = {
      {"request_id",
       [&] {
         v1::CreateBookingRequest r;
         r.mutable_booking()->set_session(kSession);
         *r.mutable_booking()->mutable_attendee() = Person("b@nhs.example");
         return bookings_->CreateBooking(Public(), r).status();
       }},
      {"booking.session",
       [&] {
         v1::CreateBookingRequest r;
         r.set_request_id(Uuid(50));
         r.mutable_booking()->set_session("sessions/x");
         *r.mutable_booking()->mutable_attendee() = Person("b@nhs.example");
         return bookings_->CreateBooking(Public(), r).status();
       }},
      {"booking.attendee.email",
       [&] { return Book("not-an-address", 51).status(); }},
      {"name",
       [&] {
         v1::GetBookingRequest r;
         r.set_name("bookings/0000");
         return bookings_->GetBooking(Admin(), r).status();
       }},
      {"name", [&] { return Cancel("nonsense").status(); }},
      {"reason",
       [&] {
         v1::CancelBookingRequest r;
         r.set_name(booking->name());
         r.set_reason(std::string(501, 'x'));
         return bookings_->CancelBooking(Admin(), r).status();
       }},
      {"attendee.job_role",
       [&] {
         v1::SubstituteAttendeeRequest r;
         r.set_name(booking->name());
         *r.mutable_attendee() = Person("c@nhs.example");
         r.mutable_attendee()->clear_job_role();
         return bookings_->SubstituteAttendee(Admin(), r).status();
       }},
      {"name",
       [&] {
         v1::LeaveWaitlistRequest r;
         r.set_name("bookings/");
         return bookings_->LeaveWaitlist(Admin(), r).status();
       }},
      {"sessions",
       [&] {
         v1::BatchGetAvailabilityRequest r;
         return bookings_->BatchGetAvailability(Public(), r).status();
       }},
      {"sessions",
       [&] {
         v1::BatchGetAvailabilityRequest r;
         r.add_sessions(kSession);
         r.add_sessions(kSession);
         return bookings_->BatchGetAvailability(Public(), r).status();
       }},
      {"page_token",
       [&] {
         v1::ListBookingsRequest r;
         r.set_page_token("abc");
         return bookings_->ListBookings(Admin(), r).status();
       }},
      {"states",
       [&] {
         v1::ListBookingsRequest r;
         r.add_states(v1::Booking::STATE_UNSPECIFIED);
         return bookings_->ListBookings(Admin(), r).status();
       }},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.field);

    absl::Status status = row.call();

    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
    std::vector<std::string> fields;
    for (const auto& v : GetFieldViolations(status)) fields.push_back(v.field);
    EXPECT_THAT(fields, ElementsAre(row.field));
    EXPECT_EQ(Snapshot(), before);
  }
}

TEST_P(BookingsTest, AgencyKeysListTheirOwnOrganisationsBookingsOnly) {
  Caller agency;
  agency.kind = Caller::Kind::kAgency;
  agency.organisation = "Northshire NHS Trust";
  Caller other = agency;
  other.organisation = "Southshire Schools";
  for (int i = 0; i < 3; ++i) {
    v1::CreateBookingRequest r;
    r.set_request_id(Uuid(i));
    r.mutable_booking()->set_session(kSession);
    *r.mutable_booking()->mutable_attendee() =
        Person(absl::StrCat("p", i, "@nhs.example"));
    ASSERT_THAT(bookings_->CreateBooking(i < 2 ? agency : other, r), IsOk());
  }
  v1::ListBookingsRequest r;
  r.set_page_size(1);

  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto listed = bookings_->ListBookings(agency, r);
    ASSERT_THAT(listed, IsOk());
    for (const auto& b : listed->bookings()) {
      EXPECT_EQ(b.booked_by_organisation(), "Northshire NHS Trust");
      EXPECT_TRUE(b.manage_token().empty());
      seen.push_back(b.name());
    }
    if (listed->next_page_token().empty()) break;
    r.set_page_token(listed->next_page_token());
  }
  EXPECT_EQ(seen.size(), 2u);
  v1::ListBookingsRequest other_filters;
  other_filters.set_session(kSession);
  other_filters.set_page_token(r.page_token());
  EXPECT_THAT(bookings_->ListBookings(agency, other_filters).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ListBookingsRequest theirs;
  theirs.set_organisation("Southshire Schools");
  EXPECT_THAT(bookings_->ListBookings(agency, theirs).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(BookingsTest, AvailabilityComesFromTheCacheAndFallsBackWhenRedisIsDown) {
  ASSERT_THAT(Book("a@nhs.example", 1), IsOk());
  v1::BatchGetAvailabilityRequest r;
  r.add_sessions(kSession);

  auto cached = bookings_->BatchGetAvailability(Public(), r);
  ASSERT_THAT(cached, IsOk());
  EXPECT_EQ(cached->availabilities(0).confirmed(), 1);
  EXPECT_EQ(cached->availabilities(0).remaining(), 2);
  auto in_redis =
      redis_->Command({"HGET", RedisAvailabilityCache::KeyOf(kSession), "v"});
  ASSERT_THAT(in_redis, IsOk());
  EXPECT_FALSE(in_redis->is_nil()) << "written through after the commit";

  redis_server_.Stop();
  ASSERT_THAT(Book("b@nhs.example", 2), IsOk()) << "Redis is not needed";
  auto fallback = bookings_->BatchGetAvailability(Public(), r);
  ASSERT_THAT(fallback, IsOk());
  EXPECT_EQ(fallback->availabilities(0).confirmed(), 2);

  ASSERT_TRUE(redis_server_.Start());
  absl::StatusOr<v1::BatchGetAvailabilityResponse> healed;
  for (int i = 0; i < 200; ++i) {  // the breaker reopens within seconds
    ASSERT_THAT(Book(absl::StrCat("c", i, "@nhs.example"), 100 + i), IsOk());
    healed = bookings_->BatchGetAvailability(Public(), r);
    auto held =
        redis_->Command({"HGET", RedisAvailabilityCache::KeyOf(kSession), "a"});
    if (held.ok() && !held->is_nil()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_THAT(healed, IsOk());
  const int64_t confirmed =
      Scalar("SELECT COUNT(*) AS n FROM bookings WHERE state = 1");
  const int64_t waiting =
      Scalar("SELECT COUNT(*) AS n FROM bookings WHERE state = 2");
  auto now = bookings_->BatchGetAvailability(Public(), r);
  ASSERT_THAT(now, IsOk());
  EXPECT_EQ(now->availabilities(0).confirmed(), confirmed);
  EXPECT_EQ(now->availabilities(0).waiting(), waiting);
}

TEST_P(BookingsTest, AnOlderCacheWriteNeverReplacesANewerOne) {
  v1::Availability newer;
  newer.set_session(kSession);
  newer.set_confirmed(2);
  v1::Availability older = newer;
  older.set_confirmed(1);

  EXPECT_TRUE(cache_->Write(newer, 10));
  EXPECT_FALSE(cache_->Write(older, 9));

  auto read = cache_->Read({kSession});
  ASSERT_TRUE(read[0].has_value());
  EXPECT_EQ(read[0]->confirmed(), 2);
}

// Group commit: while one batch's transaction is held open, K requests
// gather; on release they are decided and committed as one batch, each
// with its own answer, and a duplicate among them fails alone.
TEST_P(BookingsTest, RequestsQueuedBehindAHeldTransactionCommitAsOneBatch) {
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
TEST_P(BookingsTest, OffloadedCreateBookingAsyncNeverBlocksItsCaller) {
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
TEST_P(BookingsTest, ABatchWritesEachBookingsOwnValuesWhateverTheyHold) {
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

TEST_P(BookingsTest, AFailedBatchCommitFailsEveryoneRetryablyAndRetriesWork) {
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

TEST_P(BookingsTest, PastThePendingLimitRequestsAreRefusedWithARetryHint) {
  bookings_ = std::make_unique<Bookings>(
      store_.get(), &clock_, Keys(), &directory_, cache_.get(),
      GroupCommitOptions{.max_batch = 256, .max_pending = 2});
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

// Random book / cancel / substitute / leave / capacity changes, checked
// against a model of the rules after every step.
TEST_P(BookingsTest, RandomOperationsMatchAReferenceModel) {
  struct ModelBooking {
    std::string email;
    v1::Booking::State state;
  };
  std::map<std::string, ModelBooking> model;  // by name
  std::vector<std::string> queue;             // waiting, in order
  std::vector<std::string> names;             // every booking made
  int capacity = 3;
  auto confirmed_count = [&] {
    int n = 0;
    for (const auto& [name, b] : model) n += b.state == v1::Booking::CONFIRMED;
    return n;
  };
  auto active_email = [&](const std::string& email, const std::string& except) {
    for (const auto& [name, b] : model) {
      if (name != except && b.email == email &&
          (b.state == v1::Booking::CONFIRMED ||
           b.state == v1::Booking::WAITLISTED)) {
        return true;
      }
    }
    return false;
  };
  auto promote = [&] {
    while (confirmed_count() < capacity && !queue.empty()) {
      model[queue.front()].state = v1::Booking::CONFIRMED;
      queue.erase(queue.begin());
    }
  };

  std::mt19937 rng(20261123);
  auto pick = [&](int n) {
    return std::uniform_int_distribution<>(0, n - 1)(rng);
  };
  for (int step = 0; step < 250; ++step) {
    SCOPED_TRACE(absl::StrCat("step ", step));
    const int op = pick(10);
    const std::string email = absl::StrCat("p", pick(12), "@nhs.example");
    if (op < 4 || names.empty()) {
      auto made = Book(email, 1000 + step);
      if (active_email(email, "")) {
        EXPECT_THAT(made.status(), StatusIs(absl::StatusCode::kAlreadyExists));
      } else {
        ASSERT_THAT(made, IsOk());
        names.push_back(made->name());
        if (confirmed_count() < capacity) {
          model[made->name()] = {email, v1::Booking::CONFIRMED};
        } else {
          model[made->name()] = {email, v1::Booking::WAITLISTED};
          queue.push_back(made->name());
          EXPECT_EQ(made->waitlist_position(), static_cast<int>(queue.size()));
        }
        EXPECT_EQ(made->state(), model[made->name()].state);
      }
    } else if (op < 6) {
      const std::string& name = names[pick(names.size())];
      ASSERT_THAT(Cancel(name), IsOk());
      ModelBooking& b = model[name];
      if (b.state == v1::Booking::WAITLISTED) {
        queue.erase(std::find(queue.begin(), queue.end(), name));
      }
      if (b.state == v1::Booking::CONFIRMED ||
          b.state == v1::Booking::WAITLISTED) {
        b.state = v1::Booking::CANCELLED;
        promote();
      }
    } else if (op < 7) {
      const std::string& name = names[pick(names.size())];
      v1::SubstituteAttendeeRequest r;
      r.set_name(name);
      *r.mutable_attendee() = Person(email);
      auto substituted = bookings_->SubstituteAttendee(Admin(), r);
      ModelBooking& b = model[name];
      if (b.state != v1::Booking::CONFIRMED) {
        EXPECT_THAT(substituted.status(),
                    StatusIs(absl::StatusCode::kFailedPrecondition));
      } else if (active_email(email, name)) {
        EXPECT_THAT(substituted.status(),
                    StatusIs(absl::StatusCode::kAlreadyExists));
      } else {
        ASSERT_THAT(substituted, IsOk());
        b.email = email;
      }
    } else if (op < 8) {
      const std::string& name = names[pick(names.size())];
      v1::LeaveWaitlistRequest r;
      r.set_name(name);
      auto left = bookings_->LeaveWaitlist(Admin(), r);
      ModelBooking& b = model[name];
      if (b.state == v1::Booking::WAITLISTED) {
        ASSERT_THAT(left, IsOk());
        b.state = v1::Booking::LEFT_WAITLIST;
        queue.erase(std::find(queue.begin(), queue.end(), name));
      } else if (b.state != v1::Booking::LEFT_WAITLIST) {
        EXPECT_THAT(left.status(),
                    StatusIs(absl::StatusCode::kFailedPrecondition));
      }
    } else {
      capacity = 1 + pick(6);
      ASSERT_THAT(ChangeCapacity(capacity), IsOk());
      promote();
    }

    for (const auto& [name, expected] : model) {
      auto actual = Get(name);
      ASSERT_THAT(actual, IsOk());
      ASSERT_EQ(actual->state(), expected.state) << name;
      ASSERT_EQ(actual->attendee().email(), expected.email) << name;
      if (expected.state == v1::Booking::WAITLISTED) {
        const int position =
            std::find(queue.begin(), queue.end(), name) - queue.begin() + 1;
        ASSERT_EQ(actual->waitlist_position(), position) << name;
      }
    }
    ExpectInvariants();
  }
}

// Many threads book and cancel on one session at once; afterwards the
// counts match the rows, no place is left free while people wait, and no
// booking was promoted twice.
TEST_P(BookingsTest, AStormOfBookingsAndCancellationsKeepsTheInvariants) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<std::string> mine;
      for (int i = 0; i < kPerThread; ++i) {
        const int request = t * 1000 + i;
        if (mine.empty() || rng() % 3 != 0) {
          auto made =
              Book(absl::StrCat("t", t, "-", i, "@nhs.example"), request);
          if (made.ok()) {
            mine.push_back(made->name());
          } else {
            ++failures;
          }
        } else {
          const size_t k = rng() % mine.size();
          if (!Cancel(mine[k]).ok()) ++failures;
          mine.erase(mine.begin() + k);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(failures.load(), 0);
  ExpectInvariants();
  EXPECT_LE(Scalar("SELECT COUNT(*) AS n FROM bookings WHERE state = 1"), 3);
  auto tx = db_->Begin(sql::TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto outbox = events::ReadOutbox(**tx);
  ASSERT_THAT(outbox, IsOk());
  std::map<std::string, int> promotions;
  std::set<std::string> waitlisted;
  for (const events::v1::Event& event : *outbox) {
    if (event.has_booking_promoted()) {
      ++promotions[event.booking_promoted().booking()];
    }
    if (event.has_booking_waitlisted()) {
      waitlisted.insert(event.booking_waitlisted().booking());
    }
  }
  for (const auto& [booking, count] : promotions) {
    EXPECT_EQ(count, 1) << booking;
    EXPECT_EQ(waitlisted.count(booking), 1u) << booking;
  }
}

INSTANTIATE_TEST_SUITE_P(BothEngines, BookingsTest, sql::testing::BothEngines(),
                         sql::testing::EngineParamName());

}  // namespace
}  // namespace training::booking
