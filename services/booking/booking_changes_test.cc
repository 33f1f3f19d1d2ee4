// Changes to one booking against a real database (both engines): tokens,
// cancellation with promotion, substitution and its re-keying, retried
// substitutions, leaving the waiting list, and replaced attendees
// forgotten.

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

class BookingChangesTest : public BookingsFixture {};

TEST_P(BookingChangesTest, WrongTokenAndUnknownReferenceLookTheSame) {
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
  EXPECT_EQ(Current(booking->name()).attendee().access_needs(),
            "Step-free access");
  EXPECT_THAT(wrong_token.status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(wrong_token.status(), no_such.status());
}

TEST_P(BookingChangesTest, CancellingFreesThePlaceForTheHeadOfTheList) {
  std::vector<v1::Booking> made;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(made.emplace_back(),
                         Book(absl::StrCat("p", i, "@nhs.example"), i));
  }
  clock_.Set(kNow + absl::Hours(24 * 9));  // inside the 48-hour window

  auto cancelled = Cancel(made[1].name(), Holder(made[1].manage_token()));

  ASSERT_THAT(cancelled, IsOk());
  EXPECT_EQ(cancelled->state(), v1::Booking::CANCELLED);
  EXPECT_TRUE(cancelled->cancellation().late());
  EXPECT_EQ(cancelled->cancellation().cause(), v1::Cancellation::ATTENDEE);
  EXPECT_EQ(Current(made[3].name()).state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(Current(made[4].name()).waitlist_position(), 1);
  ExpectInvariants();
  // Cancelling twice changes nothing more.
  const std::string before = Snapshot();
  EXPECT_THAT(Cancel(made[1].name()), IsOk());
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(BookingChangesTest, ASubstituteKeepsThePlaceAndTheRules) {
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

// The person replaced must lose the colleague's details and the power to
// cancel their place: the substitution re-keys the booking.
TEST_P(BookingChangesTest,
       ASubstitutionReKeysTheBookingAndTheOldTokenOpensNothing) {
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
TEST_P(BookingChangesTest,
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
  EXPECT_EQ(Current(booking->name()).attendee().email(),
            "colleague@nhs.example");
}

// A substitution whose answer was lost can be retried with the same request
// id and the token it was made with, and answers with the same new token;
// the old token does nothing else, and a second substitution ends even that.
TEST_P(BookingChangesTest,
       ARetriedSubstitutionAnswersAgainWithTheNewTokenOnly) {
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
TEST_P(BookingChangesTest,
       ARetriedSubstitutionOpensNothingOnceTheBookingMovedOn) {
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

TEST_P(BookingChangesTest, ReplacedAttendeesAreForgottenWhenTheSessionEnds) {
  auto booking = Book("a@nhs.example", 1);
  ASSERT_THAT(booking, IsOk());
  v1::SubstituteAttendeeRequest r;
  r.set_name(booking->name());
  *r.mutable_attendee() = Person("colleague@nhs.example");
  ASSERT_THAT(bookings_->SubstituteAttendee(Admin(), r), IsOk());

  EXPECT_EQ(bookings_->ForgetEndedContacts().value_or(-1), 0);
  clock_.Set(kNow + absl::Hours(24 * 10 + 4));  // after the end
  EXPECT_EQ(bookings_->ForgetEndedContacts().value_or(-1), 1);

  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM previous_contacts"), 0);
  EXPECT_EQ(Current(booking->name()).substitutions_size(), 1)
      << "who and when stay";
}

TEST_P(BookingChangesTest, LeavingTheListMovesEveryoneBehindUp) {
  std::vector<v1::Booking> made;
  for (int i = 0; i < 6; ++i) {
    ASSERT_OK_AND_ASSIGN(made.emplace_back(),
                         Book(absl::StrCat("p", i, "@nhs.example"), i));
  }
  v1::LeaveWaitlistRequest leave;
  leave.set_name(made[3].name());

  auto left = bookings_->LeaveWaitlist(Holder(made[3].manage_token()), leave);

  ASSERT_THAT(left, IsOk());
  EXPECT_EQ(left->state(), v1::Booking::LEFT_WAITLIST);
  EXPECT_EQ(Current(made[4].name()).waitlist_position(), 1);
  EXPECT_EQ(Current(made[5].name()).waitlist_position(), 2);
  leave.set_name(made[0].name());
  EXPECT_THAT(bookings_->LeaveWaitlist(Admin(), leave).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ExpectInvariants();
}

// Every change a client may retry takes a request_id: the retry changes
// nothing more (even past the etag its first run made stale), and the id
// reused for a different request, or another kind of change that looks
// alike on the wire, is refused.
TEST_P(BookingChangesTest, ARequestIdMakesEachChangeOnce) {
  std::vector<v1::Booking> made;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(made.emplace_back(),
                         Book(absl::StrCat("p", i, "@nhs.example"), i));
  }
  v1::CancelBookingRequest cancel;
  cancel.set_name(made[1].name());
  cancel.set_etag(made[1].etag());
  cancel.set_request_id(Uuid(600));
  const auto holder = Holder(made[1].manage_token());
  auto first = bookings_->CancelBooking(holder, cancel);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->state(), v1::Booking::CANCELLED);
  const std::string after_first = Snapshot();

  auto retry = bookings_->CancelBooking(holder, cancel);
  ASSERT_THAT(retry, IsOk()) << "a replay, though its etag is stale now";
  EXPECT_EQ(retry->state(), v1::Booking::CANCELLED);
  EXPECT_EQ(Snapshot(), after_first);

  v1::CancelBookingRequest changed = cancel;
  changed.set_reason("another reason");
  auto reused = bookings_->CancelBooking(holder, changed);
  EXPECT_THAT(reused.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ReasonOf(reused.status()), "REQUEST_ID_REUSED");

  // made[3] took the freed place; made[4] waits at the head.
  v1::LeaveWaitlistRequest leave;
  leave.set_name(made[4].name());
  leave.set_request_id(Uuid(601));
  const auto waiting = Holder(made[4].manage_token());
  ASSERT_THAT(bookings_->LeaveWaitlist(waiting, leave), IsOk());
  const std::string after_leave = Snapshot();
  ASSERT_THAT(bookings_->LeaveWaitlist(waiting, leave), IsOk());
  EXPECT_EQ(Snapshot(), after_leave);
  v1::AcceptOfferRequest accept;
  accept.set_name(made[4].name());
  accept.set_request_id(Uuid(601));
  EXPECT_EQ(ReasonOf(bookings_->AcceptOffer(waiting, accept).status()),
            "REQUEST_ID_REUSED");

  v1::DeclineOfferRequest decline;
  decline.set_name(made[4].name());
  decline.set_request_id("not-a-uuid");
  EXPECT_THAT(bookings_->DeclineOffer(waiting, decline).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectInvariants();
}

TRAINING_ON_BOTH_ENGINES(BookingChangesTest);

}  // namespace
}  // namespace training::booking
