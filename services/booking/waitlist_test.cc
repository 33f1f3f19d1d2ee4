// Waiting lists against a real database (both engines) and a real Redis:
// offers that hold a place and expire (an injected clock), declines,
// capacity changes with offers out, places held for agencies and their
// release, and the plan PostgreSQL keeps for the head of the list.

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

class WaitlistTest : public WaitlistFixture {};

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
  EXPECT_EQ(ReasonOf(Decline(b[0].name()).status()), "NO_OFFER");

  // Past its expiry, an offer cannot be accepted; due work ends it once.
  clock_.Advance(absl::Hours(48));
  EXPECT_EQ(ReasonOf(Accept(b[4].name()).status()), "OFFER_EXPIRED");
  auto expired = bookings_->ExpireDueOffers(absl::Seconds(30));
  ASSERT_THAT(expired, IsOk());
  EXPECT_EQ(*expired, 1);
  auto lapsed = Get(b[4].name());
  ASSERT_THAT(lapsed, IsOk());
  EXPECT_EQ(lapsed->cancellation().cause(), v1::Cancellation::OFFER_EXPIRED);
  EXPECT_EQ(StateOf(newcomer->name()), v1::Booking::OFFERED);
  EXPECT_EQ(bookings_->ExpireDueOffers(absl::Seconds(30)).value_or(-1), 0);
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
  EXPECT_EQ(bookings_->ReleaseDueHolds().value_or(-1), 0);  // acts once
  EXPECT_EQ(AvailabilityNow(kOnline).held_places(), 0);
  ExpectOfferInvariants(kOnline);
}

// A freed place held for police goes to the first police officer waiting,
// however many of other agencies wait ahead: the head of the list is
// read only for the types that could take the place, a page at a time.
TEST_P(WaitlistTest, AFreedHeldPlaceReachesItsAgencyDeepInTheList) {
  ScheduleSession(kOnline, 3, catalogue::ONLINE, absl::ZeroDuration(), 1);
  auto first_police = Book("p1@police.example", 1, kOnline, type::POLICE);
  ASSERT_THAT(first_police, IsOk());
  ASSERT_EQ(first_police->state(), v1::Booking::CONFIRMED);
  for (int i = 0; i < 252; ++i) {  // two places, then 250 waiting
    ASSERT_THAT(Book(absl::StrCat("h", i, "@nhs.example"), 10 + i, kOnline),
                IsOk());
  }
  auto second_police = Book("p2@police.example", 999, kOnline, type::POLICE);
  ASSERT_THAT(second_police, IsOk());
  ASSERT_EQ(second_police->waitlist_position(), 251);

  ASSERT_THAT(Cancel(first_police->name()), IsOk());

  EXPECT_EQ(StateOf(second_police->name()), v1::Booking::OFFERED);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM bookings WHERE state = 3"), 1);
  ExpectOfferInvariants(kOnline);
}

// Pages of the waiting list follow each other in arrival order, and the
// agency-type filter keeps only the types asked for.
TEST_P(WaitlistTest, TheHeadOfTheListPagesInOrderAndFiltersByType) {
  ScheduleSession(kOnline, 1, catalogue::ONLINE);
  ASSERT_THAT(Book("first@nhs.example", 1, kOnline), IsOk());
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(Book(absl::StrCat("w", i, "@x.example"), 10 + i, kOnline,
                     i % 2 == 0 ? type::HEALTH : type::POLICE),
                IsOk());
  }
  std::vector<std::string> paged, police;
  ASSERT_THAT(store_->Run(BookingStore::Mode::kRead,
                          [&](BookingTransaction& tx) -> absl::Status {
                            auto inventory = tx.ReadInventory(kOnline);
                            if (!inventory.ok()) return inventory.status();
                            int64_t after = 0;
                            for (int pages = 0; pages < 10; ++pages) {
                              auto page = tx.HeadOfWaitlist(
                                  **inventory, 2, after, std::nullopt);
                              if (!page.ok()) return page.status();
                              if (page->empty()) break;
                              for (const StoredBooking& b : *page) {
                                paged.push_back(b.booking.attendee().email());
                              }
                              after = page->back().seq;
                            }
                            auto only = tx.HeadOfWaitlist(
                                **inventory, 10, 0,
                                std::set<AgencyType>{AgencyType::kPolice});
                            if (!only.ok()) return only.status();
                            for (const StoredBooking& b : *only) {
                              police.push_back(b.booking.attendee().email());
                            }
                            return absl::OkStatus();
                          }),
              IsOk());
  EXPECT_THAT(paged, ElementsAre("w0@x.example", "w1@x.example", "w2@x.example",
                                 "w3@x.example", "w4@x.example"));
  EXPECT_THAT(police, ElementsAre("w1@x.example", "w3@x.example"));
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
        "'courses/intro-mi', 0, 0, 300, 0, '')");
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

TRAINING_ON_BOTH_ENGINES(WaitlistTest);

}  // namespace
}  // namespace training::booking
