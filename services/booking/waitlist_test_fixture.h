#ifndef TRAINING_SERVICES_BOOKING_WAITLIST_TEST_FIXTURE_H_
#define TRAINING_SERVICES_BOOKING_WAITLIST_TEST_FIXTURE_H_

// The waiting-list tests' fixture: two dates of a course (online and in
// person), a course that offers places for a hold, and helpers to book,
// answer offers and count events.

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/sql/testing/engines.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "services/booking/bookings_test_fixture.h"

namespace training::booking {

inline constexpr char kOnline[] = "courses/intro-mi/sessions/online";
inline constexpr char kInPerson[] = "courses/intro-mi/sessions/in-person";
inline const absl::Time kRelease = kNow + absl::Hours(24 * 3);

// The course with offers held for 48 hours (2 at least) for health and
// police staff.
inline catalogue::Course OfferCourse() {
  catalogue::Course c = Course();
  c.add_eligible_agency_types(type::POLICE);
  auto* policy = c.mutable_waitlist_policy();
  policy->set_mode(catalogue::WaitlistPolicy::OFFER_WITH_HOLD);
  *policy->mutable_hold_duration() = ToProto(absl::Hours(48));
  *policy->mutable_minimum_hold_duration() = ToProto(absl::Hours(2));
  return c;
}

class WaitlistFixture : public BookingsFixture {
 protected:
  void SetUp() override {
    BookingsFixture::SetUp();
    // Only the dates each test schedules: the fixture's session is off.
    events::v1::Event cancelled;
    cancelled.mutable_session_cancelled()->set_session(kSession);
    ASSERT_THAT(Apply(cancelled), IsOk());
  }

  // A session of OfferCourse(): `later` shifts its start; `police_held`
  // places are held for police until kRelease.
  void ScheduleSession(const std::string& name, int capacity,
                       catalogue::DeliveryMode mode,
                       absl::Duration later = absl::ZeroDuration(),
                       int police_held = 0) {
    catalogue::Session s =
        CatalogueSession(name, capacity, kNow - absl::Hours(50));
    s.set_delivery_mode(mode);
    *s.mutable_start_time() = ToProto(FromProto(s.start_time()) + later);
    *s.mutable_end_time() = ToProto(FromProto(s.end_time()) + later);
    if (police_held > 0) {
      auto* hold = s.add_agency_holds();
      hold->add_agency_types(type::POLICE);
      hold->set_places(police_held);
      *hold->mutable_release_time() = ToProto(kRelease);
    }
    scheduled_[name] = s;
    events::v1::Event event;
    *event.mutable_session_scheduled()->mutable_session() = s;
    *event.mutable_session_scheduled()->mutable_course() = OfferCourse();
    ASSERT_THAT(Apply(event), IsOk());
  }

  // The catalogue changes a scheduled session's capacity, nothing else.
  absl::Status SetCapacity(const std::string& name, int capacity) {
    catalogue::Session& s = scheduled_[name];
    s.set_capacity(capacity);
    *s.mutable_update_time() =
        ToProto(kNow - absl::Hours(40) + absl::Seconds(++changes_));
    events::v1::Event event;
    *event.mutable_session_changed()->mutable_session() = s;
    event.mutable_session_changed()->add_changes(events::v1::CAPACITY);
    return Apply(event);
  }

  absl::StatusOr<v1::Booking> BookAnyDate(
      const std::string& email, int request,
      v1::Booking::DeliveryPreference preference =
          v1::Booking::DELIVERY_PREFERENCE_UNSPECIFIED,
      type::AgencyType agency = type::HEALTH) {
    v1::CreateBookingRequest r;
    r.set_request_id(Uuid(request));
    r.mutable_booking()->set_course("courses/intro-mi");
    r.mutable_booking()->set_scope(v1::Booking::ANY_DATE);
    r.mutable_booking()->set_delivery_preference(preference);
    *r.mutable_booking()->mutable_attendee() = Person(email, agency);
    return bookings_->CreateBooking(Public(), r);
  }

  absl::StatusOr<v1::Booking> Accept(const std::string& name) {
    v1::AcceptOfferRequest r;
    r.set_name(name);
    return bookings_->AcceptOffer(Admin(), r);
  }
  absl::StatusOr<v1::Booking> Decline(const std::string& name) {
    v1::DeclineOfferRequest r;
    r.set_name(name);
    return bookings_->DeclineOffer(Admin(), r);
  }

  v1::Availability AvailabilityNow(const std::string& session) {
    v1::BatchGetAvailabilityRequest r;
    r.add_sessions(session);
    auto response = bookings_->BatchGetAvailability(Public(), r);
    EXPECT_THAT(response, IsOk());
    return response.ok() ? response->availabilities(0) : v1::Availability();
  }

  v1::Booking::State StateOf(const std::string& name) {
    auto b = Get(name);
    EXPECT_THAT(b, IsOk());
    return b.ok() ? b->state() : v1::Booking::STATE_UNSPECIFIED;
  }

  int64_t Count(const std::string& where) {
    return Scalar(
        absl::StrCat("SELECT COUNT(*) AS n FROM bookings WHERE ", where));
  }

  // Counts in the inventory match the rows, and nothing is promised beyond
  // the capacity unless the capacity was cut below the confirmed count.
  void ExpectOfferInvariants(const std::string& session) {
    const std::string of = absl::StrCat("session = '", session, "'");
    const int64_t confirmed = Count(of + " AND state = 1");
    const int64_t offers = Count(of + " AND state = 3");
    EXPECT_EQ(Scalar("SELECT confirmed AS n FROM inventory WHERE " + of),
              confirmed);
    EXPECT_EQ(Scalar("SELECT offers AS n FROM inventory WHERE " + of), offers);
    EXPECT_EQ(Scalar("SELECT waiting AS n FROM inventory WHERE " + of),
              Count(of + " AND state = 2 AND scope <> 2"));
    const int64_t capacity =
        Scalar("SELECT capacity AS n FROM inventory WHERE " + of);
    if (confirmed <= capacity) {
      EXPECT_LE(confirmed + offers, capacity);
    } else {
      EXPECT_EQ(offers, 0);
    }
  }

  std::map<std::string, catalogue::Session> scheduled_;

  int64_t EventsOfType(const std::string& type_name) {
    int64_t n = 0;
    auto tx = db_->Begin(sql::TxMode::kRead);
    if (!tx.ok()) return -1;
    auto outbox = events::ReadOutbox(**tx);
    if (!outbox.ok()) return -1;
    for (const events::v1::Event& event : *outbox) {
      n += event.type() == type_name;
    }
    return n;
  }
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_WAITLIST_TEST_FIXTURE_H_
