// Table tests of the rules for a freed place (domain.h): releasing it,
// choosing who gets it, taking offers back after a capacity cut, and which
// any-date entries a session's delivery accepts.

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/booking/domain.h"

namespace training::booking {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);
constexpr AgencyType kSocialCare = AgencyType::kChildrensSocialCare;
constexpr AgencyType kPolice = AgencyType::kPolice;

SessionInventory Session(int capacity, int confirmed, int offers, int waiting,
                         int any_date_waiting) {
  SessionInventory s;
  s.session = "courses/intro-mi/sessions/abc";
  s.course = "courses/intro-mi";
  s.course_published = true;
  s.capacity = capacity;
  s.confirmed = confirmed;
  s.offers = offers;
  s.waiting = waiting;
  s.any_date_waiting = any_date_waiting;
  s.occupants_by_type[kSocialCare] = confirmed + offers;
  s.booking_open = kNow - absl::Hours(24);
  s.booking_close = kNow + absl::Hours(24);
  s.start = kNow + absl::Hours(48);
  s.end = s.start + absl::Hours(3);
  s.eligible_agency_types = {kSocialCare, kPolice};
  return s;
}

SeatHolder Waiting(std::string email, bool any_date = false,
                   AgencyType type = kSocialCare) {
  return {BookingState::kWaitlisted, any_date, type, std::move(email)};
}

TEST(ReleasePlaceTest, EachStateGivesBackWhatItHeld) {
  struct Row {
    const char* name;
    SeatHolder holder;
    bool freed;
    int confirmed, offers, waiting, any_date_waiting, occupants;
  } rows[] = {
      // Starting from 3 confirmed, 1 offered, 2 waiting, 1 any-date waiting.
      {"confirmed",
       {BookingState::kConfirmed, false, kSocialCare, ""},
       true,
       2,
       1,
       2,
       1,
       3},
      {"offered",
       {BookingState::kOffered, false, kSocialCare, ""},
       true,
       3,
       0,
       2,
       1,
       3},
      {"offered any-date",
       {BookingState::kOffered, true, kSocialCare, ""},
       true,
       3,
       0,
       2,
       1,
       3},
      {"waiting",
       {BookingState::kWaitlisted, false, kSocialCare, ""},
       false,
       3,
       1,
       1,
       1,
       4},
      // An any-date entry still waiting holds nothing of the session.
      {"waiting any-date",
       {BookingState::kWaitlisted, true, kSocialCare, ""},
       false,
       3,
       1,
       2,
       1,
       4},
      {"cancelled",
       {BookingState::kCancelled, false, kSocialCare, ""},
       false,
       3,
       1,
       2,
       1,
       4},
      {"left",
       {BookingState::kLeftWaitlist, false, kSocialCare, ""},
       false,
       3,
       1,
       2,
       1,
       4},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    SessionInventory s = Session(5, 3, 1, 2, 1);
    EXPECT_EQ(ReleasePlace(s, row.holder), row.freed);
    EXPECT_EQ(s.confirmed, row.confirmed);
    EXPECT_EQ(s.offers, row.offers);
    EXPECT_EQ(s.waiting, row.waiting);
    EXPECT_EQ(s.any_date_waiting, row.any_date_waiting);
    EXPECT_EQ(s.occupants_by_type[kSocialCare], row.occupants);
  }
}

TEST(ChoosePromotionsTest, FirstComeFirstServedUntilThePlacesAreGiven) {
  SessionInventory s = Session(4, 2, 0, 3, 0);
  const std::vector<SeatHolder> queue = {Waiting("a@x.uk"), Waiting("b@x.uk"),
                                         Waiting("c@x.uk")};

  std::vector<Promotion> chosen = ChoosePromotions(s, queue, {}, kNow);

  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(chosen[0].entry, 0u);
  EXPECT_EQ(chosen[1].entry, 1u);
  EXPECT_EQ(chosen[0].state, BookingState::kConfirmed);
  EXPECT_EQ(s.confirmed, 4);
  EXPECT_EQ(s.waiting, 1);
  EXPECT_EQ(FreePlaces(s), 0);
}

TEST(ChoosePromotionsTest, TheCoursesPolicyOffersWithAnExpiry) {
  SessionInventory s = Session(3, 2, 0, 1, 0);
  s.offer_policy = {true, absl::Hours(48), absl::Hours(2)};

  std::vector<Promotion> chosen =
      ChoosePromotions(s, {Waiting("a@x.uk")}, {}, kNow);

  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen[0].state, BookingState::kOffered);
  EXPECT_EQ(chosen[0].offer_expiry, OfferExpiry(s, kNow));
  EXPECT_EQ(s.offers, 1);
  EXPECT_EQ(s.confirmed, 2);
}

TEST(ChoosePromotionsTest, WhoIsPassedOverAndWhy) {
  struct Row {
    const char* name;
    std::vector<SeatHolder> queue;
    std::set<std::string> active;
    std::vector<size_t> chosen;
  } rows[] = {
      {"everyone fits", {Waiting("a@x.uk"), Waiting("b@x.uk")}, {}, {0, 1}},
      // The held place is for police: social care waits behind.
      {"held for another type",
       {Waiting("a@x.uk"), Waiting("p@x.uk", false, kPolice)},
       {},
       {1}},
      // Already on the session: the any-date entry waits for another date.
      {"any-date already booked here",
       {Waiting("a@x.uk", true), Waiting("b@x.uk")},
       {"a@x.uk"},
       {1}},
      // Two any-date entries of one address (one per course is kept, but
      // the rule holds regardless): one place each session at most.
      {"one any-date place per address",
       {Waiting("a@x.uk", true), Waiting("a@x.uk", true), Waiting("b@x.uk")},
       {},
       {0, 2}},
      {"nobody waiting", {}, {}, {}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    // Ten places, eight confirmed; in the "held" row one of the two free
    // places is held for police until tomorrow.
    SessionInventory s = Session(10, 8, 0, 2, 2);
    if (std::string(row.name) == "held for another type") {
      s.capacity = 9;
      s.holds = {{{kPolice}, 1, kNow + absl::Hours(24)}};
    }
    std::vector<size_t> chosen;
    for (const Promotion& p : ChoosePromotions(s, row.queue, row.active, kNow))
      chosen.push_back(p.entry);
    EXPECT_EQ(chosen, row.chosen);
  }
}

TEST(ChoosePromotionsTest, NoneOnceStartedOrCancelledOrFull) {
  SessionInventory started = Session(5, 2, 0, 1, 0);
  EXPECT_THAT(ChoosePromotions(started, {Waiting("a@x.uk")}, {}, started.start),
              IsEmpty());
  SessionInventory cancelled = Session(5, 2, 0, 1, 0);
  cancelled.scheduled = false;
  EXPECT_THAT(ChoosePromotions(cancelled, {Waiting("a@x.uk")}, {}, kNow),
              IsEmpty());
  SessionInventory full = Session(5, 4, 1, 1, 0);
  EXPECT_THAT(ChoosePromotions(full, {Waiting("a@x.uk")}, {}, kNow), IsEmpty());
  EXPECT_EQ(full.waiting, 1);
}

// TypesWithPlaces is PlacesFor turned round: exactly the types with a
// place, for every mix of free, held and filled places.
TEST(TypesWithPlacesTest, ExactlyTheTypesThatHaveAPlace) {
  const AgencyType all[] = {kSocialCare, kPolice, AgencyType::kHealth};
  for (int capacity = 3; capacity <= 6; ++capacity) {
    for (int confirmed = 0; confirmed <= capacity; ++confirmed) {
      for (int police_in = 0; police_in <= std::min(confirmed, 2);
           ++police_in) {
        SessionInventory s = Session(capacity, confirmed, 0, 0, 0);
        s.holds = {{{kPolice}, 2, kNow + absl::Hours(24)}};
        s.occupants_by_type = {{kSocialCare, confirmed - police_in},
                               {kPolice, police_in}};
        const std::optional<std::set<AgencyType>> types =
            TypesWithPlaces(s, kNow);
        for (AgencyType t : all) {
          const bool listed = !types || types->count(t) > 0;
          EXPECT_EQ(listed, PlacesFor(s, t, kNow) > 0)
              << capacity << " " << confirmed << " " << police_in << " "
              << Number(t);
        }
      }
    }
  }
  SessionInventory open = Session(5, 2, 0, 0, 0);
  EXPECT_EQ(TypesWithPlaces(open, kNow), std::nullopt);  // any type
  SessionInventory full = Session(5, 5, 0, 0, 0);
  EXPECT_EQ(TypesWithPlaces(full, kNow), std::set<AgencyType>());
}

TEST(OffersToWithdrawTest, NewestOffersGoBackUntilTheCapacityFits) {
  struct Row {
    const char* name;
    int capacity;
    std::vector<size_t> withdrawn;
    int offers, waiting, any_date_waiting;
  } rows[] = {
      // 2 confirmed + 3 offers (the middle one any-date).
      {"fits", 5, {}, 3, 0, 0},
      {"one too many", 4, {2}, 2, 1, 0},
      {"two too many", 3, {2, 1}, 1, 1, 1},
      // Confirmed places are never taken back, even below the capacity.
      {"below the confirmed", 1, {2, 1, 0}, 0, 2, 1},
  };
  const std::vector<SeatHolder> offers = {
      {BookingState::kOffered, false, kSocialCare, ""},
      {BookingState::kOffered, true, kSocialCare, ""},
      {BookingState::kOffered, false, kSocialCare, ""}};
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    SessionInventory s = Session(5, 2, 3, 0, 0);
    s.capacity = row.capacity;
    EXPECT_EQ(OffersToWithdraw(s, offers), row.withdrawn);
    EXPECT_EQ(s.offers, row.offers);
    EXPECT_EQ(s.confirmed, 2);
    EXPECT_EQ(s.waiting, row.waiting);
    EXPECT_EQ(s.any_date_waiting, row.any_date_waiting);
  }
}

TEST(PreferenceTest, TheRuleAndItsInverseAgree) {
  const DeliveryMode modes[] = {DeliveryMode::kUnspecified,
                                DeliveryMode::kInPerson, DeliveryMode::kOnline};
  const DeliveryPreference preferences[] = {DeliveryPreference::kAny,
                                            DeliveryPreference::kOnlineOnly,
                                            DeliveryPreference::kInPersonOnly};
  for (DeliveryMode mode : modes) {
    std::vector<DeliveryPreference> accepting = PreferencesAccepting(mode);
    for (DeliveryPreference preference : preferences) {
      const bool listed = std::find(accepting.begin(), accepting.end(),
                                    preference) != accepting.end();
      EXPECT_EQ(listed, PreferenceAccepts(preference, mode))
          << Number(mode) << " " << Number(preference);
    }
  }
  EXPECT_THAT(
      PreferencesAccepting(DeliveryMode::kOnline),
      ElementsAre(DeliveryPreference::kAny, DeliveryPreference::kOnlineOnly));
  EXPECT_THAT(PreferencesAccepting(DeliveryMode::kUnspecified),
              ElementsAre(DeliveryPreference::kAny));
}

TEST(ActiveTest, OnlyStatesThatHoldOrWaitForAPlace) {
  EXPECT_TRUE(IsActive(BookingState::kConfirmed));
  EXPECT_TRUE(IsActive(BookingState::kWaitlisted));
  EXPECT_TRUE(IsActive(BookingState::kOffered));
  EXPECT_FALSE(IsActive(BookingState::kCancelled));
  EXPECT_FALSE(IsActive(BookingState::kLeftWaitlist));
  EXPECT_FALSE(IsActive(BookingState::kUnspecified));
}

TEST(EligibilityTest, OneRuleForSessionsAndCourses) {
  const std::set<AgencyType> eligible = {kSocialCare};
  EXPECT_TRUE(CheckEligible(eligible, kSocialCare).ok());
  EXPECT_EQ(CheckEligible(eligible, kPolice).code(),
            absl::StatusCode::kFailedPrecondition);
  SessionInventory s = Session(5, 0, 0, 0, 0);
  s.eligible_agency_types = eligible;
  EXPECT_EQ(CheckEligible(s, kPolice), CheckEligible(eligible, kPolice));
}

}  // namespace
}  // namespace training::booking
