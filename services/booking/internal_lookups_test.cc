// What the other services ask booking, against a real database (both
// engines): contacts (the attendee's with the line manager, the replaced
// person's once by the event's id), a session's bookings page by page, and
// the manage-token check every mismatch of which looks the same; and the
// cause each cancellation event carries.

#include "services/booking/internal_lookups.h"

#include <set>
#include <string>
#include <vector>

#include "common/events/outbox.h"
#include "common/sql/testing/engines.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/booking/bookings_test_fixture.h"

namespace training::booking {
namespace {

using ::training::testing::StatusIs;

Caller Service() {
  Caller c;
  c.kind = Caller::Kind::kService;
  return c;
}

class InternalLookupsTest : public BookingsFixture {
 protected:
  void SetUp() override {
    BookingsFixture::SetUp();
    lookups_ =
        std::make_unique<InternalLookups>(store_.get(), &bookings_->views());
  }

  absl::StatusOr<v1::AttendeeContact> Contact(
      const std::string& booking, const std::string& previous = "") {
    v1::GetAttendeeContactRequest r;
    r.set_booking(booking);
    r.set_previous_contact_id(previous);
    return lookups_->GetAttendeeContact(Service(), r);
  }

  absl::StatusOr<v1::BookingAccess> Access(const std::string& booking,
                                           const std::string& token) {
    v1::CheckBookingAccessRequest r;
    r.set_booking(booking);
    r.set_manage_token(token);
    return lookups_->CheckBookingAccess(Service(), r);
  }

  // The events of one type in the outbox, in order.
  std::vector<events::v1::Event> Events(const std::string& type) {
    std::vector<events::v1::Event> out;
    auto tx = db_->Begin(sql::TxMode::kRead);
    if (!tx.ok()) return out;
    auto outbox = events::ReadOutbox(**tx);
    if (!outbox.ok()) return out;
    for (events::v1::Event& event : *outbox) {
      if (event.type() == type) out.push_back(std::move(event));
    }
    return out;
  }

  absl::StatusOr<v1::Booking> BookWithManager(const std::string& email,
                                              int request) {
    v1::CreateBookingRequest r;
    r.set_request_id(Uuid(request));
    r.mutable_booking()->set_session(kSession);
    *r.mutable_booking()->mutable_attendee() = Person(email);
    r.mutable_booking()->mutable_attendee()->set_line_manager_email(
        "manager@nhs.example");
    return bookings_->CreateBooking(Public(), r);
  }

  std::unique_ptr<InternalLookups> lookups_;
};

TEST_P(InternalLookupsTest, ContactCarriesTheLineManagerAndAWorkingToken) {
  auto booking = BookWithManager("a@nhs.example", 1);
  ASSERT_THAT(booking, IsOk());

  auto contact = Contact(booking->name());

  ASSERT_THAT(contact, IsOk());
  EXPECT_EQ(contact->booking(), booking->name());
  EXPECT_EQ(contact->reference(), booking->reference());
  EXPECT_EQ(contact->email(), "a@nhs.example");
  EXPECT_EQ(contact->display_name(), "Alex Morgan");
  EXPECT_EQ(contact->line_manager_email(), "manager@nhs.example");
  EXPECT_EQ(contact->session(), kSession);
  EXPECT_EQ(contact->course(), "courses/intro-mi");
  EXPECT_EQ(contact->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(contact->manage_token(), booking->manage_token());
  EXPECT_THAT(Contact("bookings/ZZZZZZZZ").status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Contact("nonsense").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(InternalLookupsTest, TheReplacedPersonIsFoundByTheEventsIdOnly) {
  auto booking = Book("a@nhs.example", 1);
  auto other = Book("b@nhs.example", 2);
  ASSERT_THAT(booking, IsOk());
  ASSERT_THAT(other, IsOk());
  v1::SubstituteAttendeeRequest r;
  r.set_name(booking->name());
  *r.mutable_attendee() = Person("colleague@nhs.example");
  auto substituted =
      bookings_->SubstituteAttendee(Holder(booking->manage_token()), r);
  ASSERT_THAT(substituted, IsOk());
  auto events = Events("training.events.v1.AttendeeSubstituted");
  ASSERT_EQ(events.size(), 1u);
  const std::string id = events[0].attendee_substituted().previous_contact_id();

  auto replaced = Contact(booking->name(), id);
  auto colleague = Contact(booking->name());
  auto wrong_booking = Contact(other->name(), id);
  auto unknown_id = Contact(booking->name(), "no-such-id");

  ASSERT_THAT(replaced, IsOk());
  EXPECT_EQ(replaced->email(), "a@nhs.example");
  EXPECT_TRUE(replaced->manage_token().empty()) << "the token is not theirs";
  ASSERT_THAT(colleague, IsOk());
  EXPECT_EQ(colleague->email(), "colleague@nhs.example");
  EXPECT_EQ(colleague->manage_token(), substituted->manage_token());
  EXPECT_THAT(wrong_booking.status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(unknown_id.status(), StatusIs(absl::StatusCode::kNotFound));
  // Once the booking ends booking forgets the replaced person.
  ASSERT_THAT(Cancel(booking->name()), IsOk());
  EXPECT_THAT(Contact(booking->name(), id).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(InternalLookupsTest, EveryTokenMismatchIsTheSameNotFound) {
  auto booking = Book("a@nhs.example", 1);
  auto other = Book("b@nhs.example", 2);
  ASSERT_THAT(booking, IsOk());
  ASSERT_THAT(other, IsOk());
  const std::string old_token = booking->manage_token();
  v1::SubstituteAttendeeRequest r;
  r.set_name(booking->name());
  *r.mutable_attendee() = Person("colleague@nhs.example");
  auto substituted = bookings_->SubstituteAttendee(Holder(old_token), r);
  ASSERT_THAT(substituted, IsOk());

  auto right = Access(booking->name(), substituted->manage_token());
  auto wrong = Access(booking->name(), "not-the-token");
  auto others = Access(booking->name(), other->manage_token());
  auto replaced = Access(booking->name(), old_token);
  auto unknown = Access("bookings/ZZZZZZZZ", other->manage_token());
  auto empty = Access(booking->name(), "");

  ASSERT_THAT(right, IsOk());
  EXPECT_EQ(right->booking(), booking->name());
  EXPECT_EQ(right->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(right->session(), kSession);
  EXPECT_EQ(right->course(), "courses/intro-mi");
  EXPECT_EQ(right->attendance(), v1::ATTENDANCE_UNSPECIFIED);
  EXPECT_THAT(wrong.status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(others.status(), wrong.status());
  EXPECT_EQ(replaced.status(), wrong.status());
  EXPECT_EQ(unknown.status(), wrong.status());
  EXPECT_THAT(empty.status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(InternalLookupsTest, SessionBookingsComePageByPageWithoutRepeats) {
  Schedule("courses/intro-mi/sessions/s2", 10);
  std::set<std::string> expected;
  for (int i = 0; i < 7; ++i) {
    auto booking = Book(absl::StrCat("p", i, "@nhs.example"), 10 + i,
                        "courses/intro-mi/sessions/s2");
    ASSERT_THAT(booking, IsOk());
    expected.insert(booking->name());
  }
  ASSERT_THAT(Cancel(*expected.begin()), IsOk());
  expected.erase(expected.begin());
  ASSERT_THAT(Book("elsewhere@nhs.example", 30), IsOk());

  std::set<std::string> seen;
  v1::ListSessionBookingsRequest r;
  r.set_session("courses/intro-mi/sessions/s2");
  r.set_page_size(4);
  int pages = 0;
  do {
    auto page = lookups_->ListSessionBookings(Service(), r);
    ASSERT_THAT(page, IsOk());
    for (const std::string& name : page->bookings()) {
      EXPECT_TRUE(seen.insert(name).second) << name << " twice";
    }
    r.set_page_token(page->next_page_token());
    ASSERT_LT(++pages, 5);
  } while (!r.page_token().empty());

  EXPECT_EQ(seen, expected);
  EXPECT_EQ(pages, 2);
  r.set_page_token("garbage");
  EXPECT_THAT(lookups_->ListSessionBookings(Service(), r).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(InternalLookupsTest, CancellationsSayWhoCancelled) {
  auto mine = Book("a@nhs.example", 1);
  auto theirs = Book("b@nhs.example", 2);
  ASSERT_THAT(mine, IsOk());
  ASSERT_THAT(theirs, IsOk());

  ASSERT_THAT(Cancel(mine->name(), Holder(mine->manage_token())), IsOk());
  ASSERT_THAT(Cancel(theirs->name(), Admin()), IsOk());

  auto events = Events("training.events.v1.BookingCancelled");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].booking_cancelled().cause(),
            events::v1::BookingCancelled::ATTENDEE);
  EXPECT_EQ(events[1].booking_cancelled().cause(),
            events::v1::BookingCancelled::TRAINING_TEAM);
  EXPECT_EQ(events[0].booking_cancelled().previous_state(), "confirmed");
}

TRAINING_ON_BOTH_ENGINES(InternalLookupsTest);

}  // namespace
}  // namespace training::booking
