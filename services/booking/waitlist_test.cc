// Waiting lists against a real database (both engines) and a real Redis:
// offers that hold a place and expire (an injected clock), declines,
// entries for any date of a course, places held for agencies and their
// release; a property test against a reference model of all of it, and
// any-date entries racing single-session bookings on two sessions.

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
namespace {

using ::testing::ElementsAre;
using ::training::testing::StatusIs;

constexpr char kOnline[] = "courses/intro-mi/sessions/online";
constexpr char kInPerson[] = "courses/intro-mi/sessions/in-person";
const absl::Time kRelease = kNow + absl::Hours(24 * 3);

// The course with offers held for 48 hours (2 at least) for health and
// police staff.
catalogue::Course OfferCourse() {
  catalogue::Course c = Course();
  c.add_eligible_agency_types(type::POLICE);
  auto* policy = c.mutable_waitlist_policy();
  policy->set_mode(catalogue::WaitlistPolicy::OFFER_WITH_HOLD);
  *policy->mutable_hold_duration() = ToProto(absl::Hours(48));
  *policy->mutable_minimum_hold_duration() = ToProto(absl::Hours(2));
  return c;
}

class WaitlistTest : public BookingsFixture {
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

TEST_P(WaitlistTest, OffersHoldThePlaceThenPassOnWhenDeclinedOrExpired) {
  ScheduleSession(kOnline, 2, catalogue::ONLINE);
  std::vector<v1::Booking> b;
  for (int i = 0; i < 5; ++i) {
    auto made = Book(absl::StrCat("p", i, "@nhs.example"), i, kOnline);
    ASSERT_THAT(made, IsOk());
    b.push_back(*made);
  }
  ASSERT_THAT(Cancel(b[0].name()), IsOk());

  auto offered = Get(b[2].name());
  ASSERT_THAT(offered, IsOk());
  EXPECT_EQ(offered->state(), v1::Booking::OFFERED);
  EXPECT_EQ(FromProto(offered->offer().expire_time()), kNow + absl::Hours(48));
  EXPECT_EQ(offered->offer().session(), kOnline);
  // A booking made while the offer is out does not take the offered place.
  auto newcomer = Book("late@nhs.example", 10, kOnline);
  ASSERT_THAT(newcomer, IsOk());
  EXPECT_EQ(newcomer->state(), v1::Booking::WAITLISTED);
  EXPECT_EQ(newcomer->waitlist_position(), 3);
  v1::Availability a = AvailabilityNow(kOnline);
  EXPECT_EQ(a.offers_out(), 1);
  EXPECT_EQ(a.remaining(), 0);
  ExpectOfferInvariants(kOnline);

  // Accepted with the booking's own manage token; another booking's token
  // opens nothing.
  v1::AcceptOfferRequest accept;
  accept.set_name(b[2].name());
  EXPECT_THAT(
      bookings_->AcceptOffer(Holder(b[3].manage_token()), accept).status(),
      StatusIs(absl::StatusCode::kNotFound));
  auto accepted = bookings_->AcceptOffer(Holder(b[2].manage_token()), accept);
  ASSERT_THAT(accepted, IsOk());
  EXPECT_EQ(accepted->state(), v1::Booking::CONFIRMED);
  EXPECT_TRUE(accepted->attendee().access_needs().empty());  // not an admin
  EXPECT_THAT(Accept(b[2].name()), IsOk());  // a retry changes nothing

  ASSERT_THAT(Cancel(b[1].name()), IsOk());
  EXPECT_EQ(StateOf(b[3].name()), v1::Booking::OFFERED);
  v1::DeclineOfferRequest decline;
  decline.set_name(b[3].name());
  auto declined = bookings_->DeclineOffer(Holder(b[3].manage_token()), decline);
  ASSERT_THAT(declined, IsOk());
  EXPECT_EQ(declined->cancellation().cause(), v1::Cancellation::OFFER_DECLINED);
  EXPECT_EQ(StateOf(b[4].name()), v1::Booking::OFFERED);
  EXPECT_EQ(GetErrorInfo(Decline(b[0].name()).status())->reason, "NO_OFFER");

  // Past its expiry, an offer cannot be accepted; due work ends it once.
  clock_.Advance(absl::Hours(48));
  EXPECT_EQ(GetErrorInfo(Accept(b[4].name()).status())->reason,
            "OFFER_EXPIRED");
  auto expired = bookings_->ExpireDueOffers(absl::Seconds(30));
  ASSERT_THAT(expired, IsOk());
  EXPECT_EQ(*expired, 1);
  auto lapsed = Get(b[4].name());
  ASSERT_THAT(lapsed, IsOk());
  EXPECT_EQ(lapsed->cancellation().cause(), v1::Cancellation::OFFER_EXPIRED);
  EXPECT_EQ(StateOf(newcomer->name()), v1::Booking::OFFERED);
  EXPECT_EQ(*bookings_->ExpireDueOffers(absl::Seconds(30)), 0);
  ExpectOfferInvariants(kOnline);

  EXPECT_EQ(EventsOfType("training.events.v1.PlaceOffered"), 4);
  EXPECT_EQ(EventsOfType("training.events.v1.OfferDeclined"), 1);
  EXPECT_EQ(EventsOfType("training.events.v1.OfferExpired"), 1);
}

TEST_P(WaitlistTest, CapacityChangesWithOffersOutKeepTheInvariant) {
  ScheduleSession(kOnline, 3, catalogue::ONLINE);
  std::vector<v1::Booking> b;
  for (int i = 0; i < 6; ++i) {
    auto made = Book(absl::StrCat("p", i, "@nhs.example"), i, kOnline);
    ASSERT_THAT(made, IsOk());
    b.push_back(*made);
  }
  ASSERT_THAT(Cancel(b[0].name()), IsOk());
  ASSERT_THAT(Cancel(b[1].name()), IsOk());
  ASSERT_EQ(StateOf(b[3].name()), v1::Booking::OFFERED);
  ASSERT_EQ(StateOf(b[4].name()), v1::Booking::OFFERED);

  // Cut to 2: one confirmed and two offers do not fit; the newest offer
  // waits again, first in the queue.
  ASSERT_THAT(SetCapacity(kOnline, 2), IsOk());
  EXPECT_EQ(StateOf(b[3].name()), v1::Booking::OFFERED);
  auto back = Get(b[4].name());
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->state(), v1::Booking::WAITLISTED);
  EXPECT_EQ(back->waitlist_position(), 1);
  EXPECT_FALSE(back->has_offer());
  ExpectOfferInvariants(kOnline);

  // Cut below the confirmed count: nobody confirmed is bumped, no offer
  // stays out.
  ASSERT_THAT(Accept(b[3].name()), IsOk());
  ASSERT_THAT(SetCapacity(kOnline, 1), IsOk());
  EXPECT_EQ(StateOf(b[2].name()), v1::Booking::CONFIRMED);
  EXPECT_EQ(StateOf(b[3].name()), v1::Booking::CONFIRMED);
  ExpectOfferInvariants(kOnline);

  // Raised: the queue is offered what now fits, in order.
  ASSERT_THAT(SetCapacity(kOnline, 4), IsOk());
  EXPECT_EQ(StateOf(b[4].name()), v1::Booking::OFFERED);
  EXPECT_EQ(StateOf(b[5].name()), v1::Booking::OFFERED);
  ExpectOfferInvariants(kOnline);
}

TEST_P(WaitlistTest, AnyDateEntriesQueueFairlyAcrossTheirDates) {
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
  EXPECT_EQ(Get(online_waiter->name())->waitlist_position(), 1);
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

TEST_P(WaitlistTest, HeldPlacesWaitForTheirAgencyUntilReleased) {
  ScheduleSession(kOnline, 4, catalogue::ONLINE, absl::ZeroDuration(), 2);
  EXPECT_EQ(AvailabilityNow(kOnline).held_places(), 2);
  std::vector<v1::Booking> health;
  for (int i = 0; i < 3; ++i) {
    auto made = Book(absl::StrCat("h", i, "@nhs.example"), i, kOnline);
    ASSERT_THAT(made, IsOk());
    health.push_back(*made);
  }
  EXPECT_EQ(health[2].state(), v1::Booking::WAITLISTED);
  auto police = Book("p@police.example", 10, kOnline, type::POLICE);
  ASSERT_THAT(police, IsOk());
  EXPECT_EQ(police->state(), v1::Booking::CONFIRMED);
  v1::Availability a = AvailabilityNow(kOnline);
  EXPECT_EQ(a.held_places(), 1);
  EXPECT_EQ(a.remaining(), 0);
  EXPECT_EQ(a.confirmed() + a.offers_out() + a.held_places(), a.capacity());

  clock_.Set(kRelease);
  auto released = bookings_->ReleaseDueHolds();
  ASSERT_THAT(released, IsOk());
  EXPECT_EQ(*released, 1);
  EXPECT_EQ(StateOf(health[2].name()), v1::Booking::OFFERED);
  EXPECT_EQ(*bookings_->ReleaseDueHolds(), 0);  // each release acts once
  EXPECT_EQ(AvailabilityNow(kOnline).held_places(), 0);
  ExpectOfferInvariants(kOnline);
}

// Random bookings on two dates and for any date, cancellations, leaving,
// accepting and declining offers, time passing (offers expire, the police
// hold on the online date is released) and capacity changes, checked after
// every step against a reference model of the rules: every booking's
// state, date and waiting position, and every count.
TEST_P(WaitlistTest, RandomOperationsMatchAReferenceModel) {
  struct Entry {
    std::string email;
    int type = type::HEALTH;
    bool any_date = false;
    int preference = 0;
    std::string session;  // empty while an any-date entry waits
    v1::Booking::State state = v1::Booking::STATE_UNSPECIFIED;
    int seq = 0;
    absl::Time expire;
    bool accepted = false;
    bool declined = false;
  };
  struct Date {
    int capacity;
    int mode;
    absl::Time start;
    int police_held;
  };
  std::map<std::string, Date> dates = {
      {kOnline, {2, catalogue::ONLINE, kNow + absl::Hours(240), 1}},
      {kInPerson, {2, catalogue::IN_PERSON, kNow + absl::Hours(264), 0}}};
  ScheduleSession(kOnline, 2, catalogue::ONLINE, absl::ZeroDuration(), 1);
  ScheduleSession(kInPerson, 2, catalogue::IN_PERSON, absl::Hours(24));
  const absl::Time close = kNow + absl::Hours(240);
  absl::Time now = kNow;
  bool released = false;
  std::map<std::string, Entry> model;  // by booking name
  std::vector<std::string> names;
  int next_seq = 0;

  auto occupying = [&](const Entry& e, const std::string& date) {
    return e.session == date && (e.state == v1::Booking::CONFIRMED ||
                                 e.state == v1::Booking::OFFERED);
  };
  auto places_for = [&](const std::string& date, int agency_type) {
    int occupied = 0, police = 0;
    for (const auto& [name, e] : model) {
      if (!occupying(e, date)) continue;
      ++occupied;
      police += e.type == type::POLICE;
    }
    const Date& d = dates[date];
    const int free = d.capacity - occupied;
    const int unfilled =
        now < kRelease ? std::max(0, d.police_held - police) : 0;
    return agency_type == type::POLICE ? std::max(0, free)
                                       : std::max(0, free - unfilled);
  };
  auto accepts = [](int preference, int mode) {
    return preference == 0 ||
           (preference == v1::Booking::ONLINE_ONLY &&
            mode == catalogue::ONLINE) ||
           (preference == v1::Booking::IN_PERSON_ONLY &&
            mode == catalogue::IN_PERSON);
  };
  auto active_on = [&](const std::string& email, const std::string& date) {
    for (const auto& [name, e] : model) {
      if (e.email == email && e.session == date &&
          (e.state == v1::Booking::CONFIRMED ||
           e.state == v1::Booking::WAITLISTED ||
           e.state == v1::Booking::OFFERED)) {
        return true;
      }
    }
    return false;
  };
  // The date's queue in arrival order: its own entries, then (interleaved
  // by arrival) the any-date entries that accept it.
  auto queue = [&](const std::string& date) {
    std::vector<std::string> q;
    for (const auto& [name, e] : model) {
      if (e.state == v1::Booking::WAITLISTED &&
          ((!e.any_date && e.session == date) ||
           (e.any_date && accepts(e.preference, dates[date].mode)))) {
        q.push_back(name);
      }
    }
    std::sort(q.begin(), q.end(), [&](const auto& a, const auto& b) {
      return model[a].seq < model[b].seq;
    });
    return q;
  };
  auto any_date_queue = [&] {
    std::vector<std::string> q;
    for (const auto& [name, e] : model) {
      if (e.any_date && e.state == v1::Booking::WAITLISTED) q.push_back(name);
    }
    std::sort(q.begin(), q.end(), [&](const auto& a, const auto& b) {
      return model[a].seq < model[b].seq;
    });
    return q;
  };
  auto promote = [&](const std::string& date) {
    if (date.empty() || now >= dates[date].start) return;
    for (const std::string& name : queue(date)) {
      int occupied = 0;
      for (const auto& [n, e] : model) occupied += occupying(e, date);
      if (dates[date].capacity - occupied <= 0) break;
      Entry& e = model[name];
      if (places_for(date, e.type) <= 0) continue;
      if (e.any_date && active_on(e.email, date)) continue;
      e.state = v1::Booking::OFFERED;
      e.session = date;
      e.expire = now + std::max(absl::Hours(2),
                                std::min(absl::Hours(48), close - now));
    }
  };
  auto end = [&](Entry& e, v1::Booking::State state) {
    const std::string date = e.session;
    const bool held_a_place =
        e.state == v1::Booking::CONFIRMED || e.state == v1::Booking::OFFERED;
    e.state = state;
    if (held_a_place) promote(date);
  };

  std::mt19937 rng(20261124);
  auto pick = [&](int n) {
    return std::uniform_int_distribution<>(0, n - 1)(rng);
  };
  const std::vector<std::string> date_names = {kOnline, kInPerson};
  for (int step = 0; step < 200; ++step) {
    SCOPED_TRACE(absl::StrCat("step ", step));
    const int op = pick(14);
    const std::string email = absl::StrCat("p", pick(10), "@nhs.example");
    const int agency_type = pick(4) == 0 ? type::POLICE : type::HEALTH;
    auto some = [&]() -> Entry* {
      return names.empty() ? nullptr : &model[names[pick(names.size())]];
    };
    auto name_of = [&](const Entry* e) {
      for (const auto& [name, x] : model) {
        if (&x == e) return name;
      }
      return std::string();
    };
    if (op < 4 || names.empty()) {
      const std::string& date = date_names[pick(2)];
      auto made = Book(email, 1000 + step, date,
                       static_cast<type::AgencyType>(agency_type));
      if (active_on(email, date)) {
        EXPECT_THAT(made.status(), StatusIs(absl::StatusCode::kAlreadyExists));
        continue;
      }
      ASSERT_THAT(made, IsOk());
      Entry e;
      e.email = email;
      e.type = agency_type;
      e.session = date;
      e.seq = ++next_seq;
      e.state = places_for(date, agency_type) > 0 ? v1::Booking::CONFIRMED
                                                  : v1::Booking::WAITLISTED;
      model[made->name()] = e;
      names.push_back(made->name());
    } else if (op < 6) {
      const int preference = pick(3);
      auto made =
          BookAnyDate(email, 1000 + step,
                      static_cast<v1::Booking::DeliveryPreference>(preference),
                      static_cast<type::AgencyType>(agency_type));
      // One any-date entry per address per course, a confirmed one
      // included (the model's dates are all still to come).
      bool listed = false;
      for (const auto& [name, e] : model) {
        listed |= e.any_date && e.email == email &&
                  (e.state == v1::Booking::WAITLISTED ||
                   e.state == v1::Booking::OFFERED ||
                   e.state == v1::Booking::CONFIRMED);
      }
      if (listed) {
        EXPECT_THAT(made.status(), StatusIs(absl::StatusCode::kAlreadyExists));
        continue;
      }
      ASSERT_THAT(made, IsOk());
      Entry e;
      e.email = email;
      e.type = agency_type;
      e.any_date = true;
      e.preference = preference;
      e.seq = ++next_seq;
      e.state = v1::Booking::WAITLISTED;
      for (const std::string& date : date_names) {  // earliest first
        if (accepts(preference, dates[date].mode) &&
            places_for(date, agency_type) > 0 && !active_on(email, date)) {
          e.state = v1::Booking::CONFIRMED;
          e.session = date;
          break;
        }
      }
      model[made->name()] = e;
      names.push_back(made->name());
    } else if (op < 8) {
      Entry* e = some();
      ASSERT_THAT(Cancel(name_of(e)), IsOk());
      if (e->state == v1::Booking::CONFIRMED ||
          e->state == v1::Booking::WAITLISTED ||
          e->state == v1::Booking::OFFERED) {
        end(*e, v1::Booking::CANCELLED);
      }
    } else if (op < 9) {
      Entry* e = some();
      v1::LeaveWaitlistRequest r;
      r.set_name(name_of(e));
      auto left = bookings_->LeaveWaitlist(Admin(), r);
      if (e->state == v1::Booking::WAITLISTED) {
        ASSERT_THAT(left, IsOk());
        e->state = v1::Booking::LEFT_WAITLIST;
      } else if (e->state == v1::Booking::LEFT_WAITLIST) {
        EXPECT_THAT(left, IsOk());
      } else {
        EXPECT_THAT(left.status(),
                    StatusIs(absl::StatusCode::kFailedPrecondition));
      }
    } else if (op < 10) {
      Entry* e = some();
      auto accepted = Accept(name_of(e));
      if (e->state == v1::Booking::OFFERED && now < e->expire) {
        ASSERT_THAT(accepted, IsOk());
        e->state = v1::Booking::CONFIRMED;
        e->accepted = true;
      } else if (e->state == v1::Booking::CONFIRMED && e->accepted) {
        EXPECT_THAT(accepted, IsOk());
      } else {
        EXPECT_THAT(accepted.status(),
                    StatusIs(absl::StatusCode::kFailedPrecondition));
      }
    } else if (op < 11) {
      Entry* e = some();
      auto declined = Decline(name_of(e));
      if (e->state == v1::Booking::OFFERED) {
        ASSERT_THAT(declined, IsOk());
        e->declined = true;
        end(*e, v1::Booking::CANCELLED);
      } else if (e->state == v1::Booking::CANCELLED && e->declined) {
        EXPECT_THAT(declined, IsOk());
      } else {
        EXPECT_THAT(declined.status(),
                    StatusIs(absl::StatusCode::kFailedPrecondition));
      }
    } else if (op < 12) {
      const absl::Duration steps[] = {absl::Minutes(10), absl::Hours(2),
                                      absl::Hours(8), absl::Hours(49)};
      now = std::min(now + steps[pick(4)], kNow + absl::Hours(24 * 9));
      clock_.Set(now);
      ASSERT_THAT(bookings_->ExpireDueOffers(absl::Seconds(30)), IsOk());
      ASSERT_THAT(bookings_->ReleaseDueHolds(), IsOk());
      std::vector<std::string> due;
      for (const auto& [name, e] : model) {
        if (e.state == v1::Booking::OFFERED && e.expire <= now) {
          due.push_back(name);
        }
      }
      std::sort(due.begin(), due.end(), [&](const auto& a, const auto& b) {
        return std::tie(model[a].expire, model[a].seq) <
               std::tie(model[b].expire, model[b].seq);
      });
      for (const std::string& name : due)
        end(model[name], v1::Booking::CANCELLED);
      if (!released && now >= kRelease) {
        released = true;
        promote(kOnline);
      }
    } else {
      const std::string& date = date_names[pick(2)];
      const int capacity = 1 + pick(4);
      ASSERT_THAT(SetCapacity(date, capacity), IsOk());
      dates[date].capacity = capacity;
      // The newest offers that no longer fit wait again.
      std::vector<std::string> offered;
      int confirmed = 0;
      for (const auto& [name, e] : model) {
        if (e.session != date) continue;
        if (e.state == v1::Booking::OFFERED) offered.push_back(name);
        confirmed += e.state == v1::Booking::CONFIRMED;
      }
      std::sort(offered.begin(), offered.end(),
                [&](const auto& a, const auto& b) {
                  return model[a].seq > model[b].seq;
                });
      int offers = static_cast<int>(offered.size());
      for (const std::string& name : offered) {
        if (confirmed + offers <= capacity) break;
        Entry& e = model[name];
        e.state = v1::Booking::WAITLISTED;
        if (e.any_date) e.session.clear();
        --offers;
      }
      promote(date);
    }

    for (const auto& [name, expected] : model) {
      auto actual = Get(name);
      ASSERT_THAT(actual, IsOk());
      ASSERT_EQ(actual->state(), expected.state) << name;
      ASSERT_EQ(actual->session(), expected.session) << name;
      if (expected.state == v1::Booking::OFFERED) {
        ASSERT_EQ(FromProto(actual->offer().expire_time()), expected.expire)
            << name;
      }
      if (expected.state == v1::Booking::WAITLISTED) {
        const auto q =
            expected.any_date ? any_date_queue() : queue(expected.session);
        const int position =
            std::find(q.begin(), q.end(), name) - q.begin() + 1;
        ASSERT_EQ(actual->waitlist_position(), position) << name;
      }
    }
    for (const std::string& date : date_names) ExpectOfferInvariants(date);
  }
}

// An any-date entry races single-session bookings and cancellations on
// two dates: nothing deadlocks (a watchdog), nothing is overbooked, every
// count matches its rows and positions stay contiguous.
// One any-date entry per address per course, until its place has been and
// gone: a confirmed entry still counts, or a second entry would take a
// second date of the same course.
TEST_P(WaitlistTest, AConfirmedAnyDateEntryIsStillTheAddressesOneEntry) {
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
  EXPECT_EQ(GetErrorInfo(again.status())->reason, "ALREADY_BOOKED");
  EXPECT_EQ(Snapshot(), before);
  // Once the place has been and gone, the course can be taken again.
  clock_.Set(kNow + absl::Hours(24 * 60));
  auto later = BookAnyDate("x@nhs.example", 3);
  ASSERT_THAT(later, IsOk());
  EXPECT_EQ(later->state(), v1::Booking::WAITLISTED);
}

TEST_P(WaitlistTest, AnyDateEntriesAndConcurrentBookingsNeverDeadlock) {
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

// The waiting-list head runs for every session scheduled and every place
// freed, with the same text each time, so PostgreSQL plans it once,
// generically, and keeps that plan. However large the table, the plan must
// reach a session's waiting rows through the session index; a plan that
// walks the primary key in seq order to skip a sort filters every booking
// of every session (28 ms at 98,000 bookings, once per call).
TEST_P(WaitlistTest, WaitingListHeadIsReadThroughTheSessionIndex) {
  const bool postgres = GetParam() == sql::Engine::kPostgres;
  ScheduleSession(kOnline, 2, catalogue::ONLINE);
  ASSERT_THAT(Book("a@example.org", 1, kOnline), IsOk());
  // 40,000 more bookings, copies of that one: 20 sessions of 2,000, nearly
  // all waiting, as after a few flash crowds.
  auto tx = db_->Begin(sql::TxMode::kWrite);
  ASSERT_THAT(tx, IsOk());
  auto columns = (*tx)->Query(
      postgres ? "SELECT column_name AS name FROM information_schema.columns "
                 "WHERE table_name = 'bookings' AND column_name <> 'seq'"
               : "SELECT name FROM pragma_table_info('bookings') WHERE name "
                 "<> 'seq'");
  ASSERT_THAT(columns, IsOk());
  std::string names, values;
  for (size_t i = 0; i < columns->size(); ++i) {
    auto name = columns->GetString(i, "name");
    ASSERT_THAT(name, IsOk());
    const std::string& c = *name;
    absl::StrAppend(&names, i ? ", " : "", c);
    absl::StrAppend(&values, i ? ", " : "",
                    c == "reference"   ? "reference || '-' || n"
                    : c == "email_key" ? "email_key || '-' || n"
                    : c == "session"
                        ? "'courses/intro-mi/sessions/crowd' || (n % 20)"
                    : c == "state" ? "CASE WHEN n % 20 = 0 THEN 1 ELSE 2 END"
                                   : c);
  }
  ASSERT_THAT((*tx)->Execute(absl::StrCat(
                  "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
                  "FROM g WHERE n < 40000) INSERT INTO bookings (",
                  names, ") SELECT ", values, " FROM bookings, g")),
              IsOk());
  ASSERT_THAT((*tx)->Execute("ANALYZE bookings"), IsOk());

  SessionInventory nobody_waiting;
  nobody_waiting.session = "courses/intro-mi/sessions/new";
  nobody_waiting.course = "courses/intro-mi";
  const sql::Statement head =
      HeadOfWaitlistStatement(GetParam(), nobody_waiting, 300);
  std::string plan;
  if (postgres) {
    ASSERT_THAT(
        (*tx)->Execute(absl::StrCat("PREPARE head_of_waitlist AS ", head.sql)),
        IsOk());
    ASSERT_THAT((*tx)->Execute("SET LOCAL plan_cache_mode = "
                               "force_generic_plan"),
                IsOk());
    auto explained = (*tx)->Query(
        "EXPLAIN EXECUTE head_of_waitlist('courses/intro-mi/sessions/new', "
        "'courses/intro-mi', -1, 300)");
    ASSERT_THAT(explained, IsOk());
    for (size_t i = 0; i < explained->size(); ++i) {
      absl::StrAppend(&plan, explained->GetString(i, "QUERY PLAN").value_or(""),
                      "\n");
    }
  } else {
    auto explained = (*tx)->Query(absl::StrCat("EXPLAIN QUERY PLAN ", head.sql),
                                  head.params);
    ASSERT_THAT(explained, IsOk());
    for (size_t i = 0; i < explained->size(); ++i) {
      absl::StrAppend(&plan, explained->GetString(i, "detail").value_or(""),
                      "\n");
    }
  }
  EXPECT_THAT(plan, ::testing::HasSubstr("bookings_by_session")) << plan;
  EXPECT_THAT(plan, ::testing::Not(::testing::HasSubstr("bookings_pkey")))
      << plan;
  EXPECT_THAT(plan, ::testing::Not(::testing::ContainsRegex(
                        "(Seq Scan on|SCAN) bookings\\b")))
      << plan;
}

INSTANTIATE_TEST_SUITE_P(BothEngines, WaitlistTest, sql::testing::BothEngines(),
                         sql::testing::EngineParamName());

}  // namespace
}  // namespace training::booking
