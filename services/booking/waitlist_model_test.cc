// Waiting lists against a reference model of their rules: random
// bookings on two dates and for any date, cancellations, offers answered
// and expiring, holds released and capacity changes, checked after every
// step, on both engines.

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

class WaitlistModelTest : public WaitlistFixture {};

// Random bookings on two dates and for any date, cancellations, leaving,
// accepting and declining offers, time passing (offers expire, the police
// hold on the online date is released) and capacity changes, checked after
// every step against a reference model of the rules: every booking's
// state, date and waiting position, and every count.
TEST_P(WaitlistModelTest, RandomOperationsMatchAReferenceModel) {
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

TRAINING_ON_BOTH_ENGINES(WaitlistModelTest);

}  // namespace
}  // namespace training::booking
