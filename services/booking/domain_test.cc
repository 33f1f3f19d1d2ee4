#include "services/booking/domain.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/booking/manage_token.h"

namespace training::booking {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

v1::Attendee ValidAttendee() {
  v1::Attendee a;
  a.set_display_name("Sam Carter");
  a.set_email("sam.carter@northshire.gov.uk");
  a.set_organisation("Northshire Council");
  a.set_agency_type(training::type::v1::CHILDRENS_SOCIAL_CARE);
  a.set_job_role("Social worker");
  a.set_consent_given(true);
  return a;
}

constexpr AgencyType kSocialCare = AgencyType::kChildrensSocialCare;
constexpr AgencyType kPolice = AgencyType::kPolice;
constexpr AgencyType kHealth = AgencyType::kHealth;

SessionInventory Session(int capacity, int confirmed, int waiting) {
  SessionInventory s;
  s.session = "courses/intro-mi/sessions/abc";
  s.course = "courses/intro-mi";
  s.course_published = true;
  s.capacity = capacity;
  s.confirmed = confirmed;
  s.waiting = waiting;
  s.booking_open = kNow - absl::Hours(24);
  s.booking_close = kNow + absl::Hours(24);
  s.start = kNow + absl::Hours(48);
  s.end = s.start + absl::Hours(3);
  s.eligible_agency_types = {kSocialCare};
  return s;
}

std::string ReasonOf(const absl::Status& status) {
  auto info = GetErrorInfo(status);
  return info ? info->reason : "";
}

TEST(AttendeeTest, AcceptsAValidAttendee) {
  std::vector<FieldViolation> out;
  ValidateAttendee(ValidAttendee(), "booking.attendee", out);
  EXPECT_THAT(out, IsEmpty());
}

TEST(AttendeeTest, NamesEachBrokenField) {
  struct Row {
    const char* field;
    std::function<void(v1::Attendee&)> breaks;
  } rows[] = {
      {"booking.attendee.display_name",
       [](auto& a) { a.clear_display_name(); }},
      {"booking.attendee.display_name",
       [](auto& a) { a.set_display_name(std::string(201, 'x')); }},
      {"booking.attendee.email", [](auto& a) { a.set_email("no-at-sign"); }},
      {"booking.attendee.email", [](auto& a) { a.set_email("a@b@c.uk"); }},
      {"booking.attendee.email", [](auto& a) { a.set_email("a@localhost"); }},
      {"booking.attendee.email", [](auto& a) { a.set_email("a b@c.uk"); }},
      {"booking.attendee.email",
       [](auto& a) { a.set_email(std::string(250, 'a') + "@c.uk"); }},
      {"booking.attendee.phone", [](auto& a) { a.set_phone("12ab567"); }},
      {"booking.attendee.phone", [](auto& a) { a.set_phone("123"); }},
      {"booking.attendee.organisation",
       [](auto& a) { a.clear_organisation(); }},
      {"booking.attendee.agency_type", [](auto& a) { a.clear_agency_type(); }},
      {"booking.attendee.job_role", [](auto& a) { a.clear_job_role(); }},
      {"booking.attendee.line_manager_email",
       [](auto& a) { a.set_line_manager_email("manager"); }},
      {"booking.attendee.access_needs",
       [](auto& a) { a.set_access_needs(std::string(2001, 'x')); }},
      {"booking.attendee.consent_given",
       [](auto& a) { a.set_consent_given(false); }},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.field);
    v1::Attendee attendee = ValidAttendee();
    row.breaks(attendee);
    std::vector<FieldViolation> out;
    ValidateAttendee(attendee, "booking.attendee", out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].field, row.field);
  }
}

TEST(AttendeeTest, PhoneMayStartWithPlusAndHoldSpaces) {
  v1::Attendee attendee = ValidAttendee();
  attendee.set_phone("+44 1245 123456");
  std::vector<FieldViolation> out;
  ValidateAttendee(attendee, "a", out);
  EXPECT_THAT(out, IsEmpty());
}

TEST(ReferenceTest, NewReferencesAvoidLookAlikesAndParseBack) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_OK_AND_ASSIGN(const std::string reference,
                         NewReference("sessions/s1"));
    ASSERT_EQ(reference.size(), 8u);
    EXPECT_EQ(reference.find_first_of("01OI"), std::string::npos);
    EXPECT_EQ(ParseBookingName(BookingName(reference)), reference);
    seen.insert(reference);
  }
  EXPECT_GT(seen.size(), 1990u);
}

TEST(ReferenceTest, OneClusterSharesAPrefixAndTheRestIsRandom) {
  // The prefix is a fixed function of the cluster: replicas and restarts
  // must agree, or a session's references would scatter again.
  // "XH": the low 10 bits of the 32-bit FNV-1a of "sessions/s1", worked
  // out apart from this code.
  std::set<std::string> prefixes, tails;
  for (int i = 0; i < 500; ++i) {
    ASSERT_OK_AND_ASSIGN(const std::string reference,
                         NewReference("sessions/s1"));
    EXPECT_EQ(reference.substr(0, 2), "XH");
    tails.insert(reference.substr(2));
  }
  EXPECT_GT(tails.size(), 495u);
  for (int i = 0; i < 200; ++i) {
    prefixes.insert(NewReference(absl::StrCat("sessions/s", i))->substr(0, 2));
  }
  // 200 sessions over 1,024 prefixes: a few share, most do not.
  EXPECT_GT(prefixes.size(), 150u);
}

TEST(ReferenceTest, ABatchOfReferencesSharesThePrefixAndNothingElse) {
  ASSERT_OK_AND_ASSIGN(const std::vector<std::string> batch,
                       NewReferences("sessions/s1", 300));
  ASSERT_EQ(batch.size(), 300u);
  std::set<std::string> tails;
  for (const std::string& reference : batch) {
    ASSERT_EQ(reference.size(), 8u);
    EXPECT_EQ(reference.substr(0, 2), "XH");
    EXPECT_EQ(ParseBookingName(BookingName(reference)), reference);
    tails.insert(reference.substr(2));
  }
  EXPECT_GT(tails.size(), 295u);
  EXPECT_TRUE(NewReferences("sessions/s1", 0)->empty());
}

TEST(ReferenceTest, AcceptsAnyCaseAndOneHyphen) {
  EXPECT_EQ(ParseBookingName("bookings/k7qx-m4ra"), "K7QXM4RA");
  EXPECT_EQ(ParseBookingName("bookings/K7QXM4RA"), "K7QXM4RA");
  for (const char* bad : {"bookings/K7QXM4R", "bookings/K7QXM4RO",
                          "bookings/K7Q-XM4RA", "booking/K7QXM4RA", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseBookingName(bad).has_value());
  }
}

TEST(BookableTest, RefusesWithAReasonOutsideTheRules) {
  struct Row {
    const char* reason;
    std::function<void(SessionInventory&)> change;
    absl::Time now = kNow;
  } rows[] = {
      {"", [](auto&) {}},
      {"SESSION_CANCELLED", [](auto& s) { s.scheduled = false; }},
      {"COURSE_NOT_PUBLISHED", [](auto& s) { s.course_published = false; }},
      {"BOOKING_NOT_OPEN",
       [](auto& s) { s.booking_open = kNow + absl::Seconds(1); }},
      {"BOOKING_CLOSED", [](auto& s) { s.booking_close = kNow; }},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.reason);
    SessionInventory session = Session(10, 0, 0);
    row.change(session);

    absl::Status status = CheckBookable(session, row.now);

    EXPECT_EQ(ReasonOf(status), row.reason);
    if (*row.reason != '\0') {
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
    }
  }
}

TEST(EligibilityTest, OnlyTheCoursesAgencyTypes) {
  const SessionInventory session = Session(10, 0, 0);
  EXPECT_THAT(CheckEligible(session, kSocialCare), IsOk());
  EXPECT_EQ(ReasonOf(CheckEligible(session, kPolice)),
            "AGENCY_TYPE_NOT_ELIGIBLE");
}

TEST(PlacementTest, ConfirmsUntilFullThenQueuesInOrder) {
  SessionInventory session = Session(2, 0, 0);
  std::vector<int> positions;
  std::vector<BookingState> states;
  for (int i = 0; i < 5; ++i) {
    Placement p = PlaceBooking(session, kSocialCare, kNow);
    states.push_back(p.state);
    positions.push_back(p.waitlist_position);
  }
  EXPECT_THAT(states,
              ElementsAre(BookingState::kConfirmed, BookingState::kConfirmed,
                          BookingState::kWaitlisted, BookingState::kWaitlisted,
                          BookingState::kWaitlisted));
  EXPECT_THAT(positions, ElementsAre(0, 0, 1, 2, 3));
  EXPECT_EQ(session.confirmed, 2);
  EXPECT_EQ(session.waiting, 3);
}

TEST(BatchTest, DecidesInArrivalOrderAndRefusalsStandAlone) {
  SessionInventory session = Session(2, 0, 0);
  std::vector<BookingAsk> asks = {
      {kSocialCare, "a@x.uk"},    {kPolice, "b@x.uk"},  // ineligible
      {kSocialCare, "a@x.uk"},                          // repeat in batch
      {kSocialCare, "held@x.uk"},                       // already
      {kSocialCare, "c@x.uk"},    {kSocialCare, "d@x.uk"},
  };

  auto decisions = DecideBatch(session, kNow, asks, {"held@x.uk"});

  ASSERT_EQ(decisions.size(), 6u);
  EXPECT_EQ(decisions[0]->state, BookingState::kConfirmed);
  EXPECT_EQ(ReasonOf(decisions[1].status()), "AGENCY_TYPE_NOT_ELIGIBLE");
  EXPECT_EQ(ReasonOf(decisions[2].status()), "ALREADY_BOOKED");
  EXPECT_EQ(ReasonOf(decisions[3].status()), "ALREADY_BOOKED");
  EXPECT_EQ(decisions[4]->state, BookingState::kConfirmed);
  EXPECT_EQ(decisions[5]->state, BookingState::kWaitlisted);
  EXPECT_EQ(decisions[5]->waitlist_position, 1);
  EXPECT_EQ(session.confirmed, 2);
  EXPECT_EQ(session.waiting, 1);
}

TEST(BatchTest, AClosedSessionRefusesTheWholeBatch) {
  SessionInventory session = Session(2, 0, 0);
  session.booking_close = kNow;
  auto decisions = DecideBatch(
      session, kNow, {{kSocialCare, "a@x.uk"}, {kSocialCare, "b@x.uk"}}, {});
  ASSERT_EQ(decisions.size(), 2u);
  for (const auto& d : decisions)
    EXPECT_EQ(ReasonOf(d.status()), "BOOKING_CLOSED");
  EXPECT_EQ(session.confirmed, 0);
}

TEST(PlacementTest, QueuesBehindEarlierAnyDateEntries) {
  SessionInventory session = Session(1, 1, 2);
  session.any_date_waiting = 3;
  Placement p = PlaceBooking(session, kSocialCare, kNow);
  EXPECT_EQ(p.state, BookingState::kWaitlisted);
  EXPECT_EQ(p.waitlist_position, 6);
}

TEST(OfferTest, OffersHoldPlacesFromNewBookings) {
  SessionInventory session = Session(3, 1, 0);
  session.offers = 2;
  EXPECT_EQ(Remaining(session, kNow), 0);
  EXPECT_EQ(PlaceBooking(session, kSocialCare, kNow).state,
            BookingState::kWaitlisted);
  v1::Availability a = AvailabilityOf(session, kNow);
  EXPECT_EQ(a.offers_out(), 2);
  EXPECT_EQ(a.remaining(), 0);
}

TEST(OfferTest, HoldsRunTheirLengthButNotPastTheCloseNorBelowTheMinimum) {
  SessionInventory session = Session(3, 0, 0);
  session.offer_policy = {true, absl::Hours(48), absl::Hours(2)};
  session.booking_close = kNow + absl::Hours(100);
  EXPECT_EQ(OfferExpiry(session, kNow), kNow + absl::Hours(48));
  session.booking_close = kNow + absl::Hours(10);
  EXPECT_EQ(OfferExpiry(session, kNow), kNow + absl::Hours(10));
  session.booking_close = kNow + absl::Minutes(30);
  EXPECT_EQ(OfferExpiry(session, kNow), kNow + absl::Hours(2));
}

// Ten places, four held for police and health until a day before the
// start: other agencies fill six at most until the release.
TEST(HoldTest, HeldPlacesGoToTheirAgenciesUntilReleased) {
  SessionInventory session = Session(10, 0, 0);
  session.eligible_agency_types = {kSocialCare, kPolice, kHealth};
  session.holds = {{{kPolice, kHealth}, 4, kNow + absl::Hours(24)}};
  EXPECT_EQ(HeldUnfilled(session, kNow), 4);
  EXPECT_EQ(Remaining(session, kNow), 6);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(PlaceBooking(session, kSocialCare, kNow).state,
              BookingState::kConfirmed);
  }
  EXPECT_EQ(PlacesFor(session, kSocialCare, kNow), 0);
  EXPECT_EQ(PlaceBooking(session, kSocialCare, kNow).state,
            BookingState::kWaitlisted);
  EXPECT_EQ(PlacesFor(session, kPolice, kNow), 4);
  EXPECT_EQ(PlaceBooking(session, kPolice, kNow).state,
            BookingState::kConfirmed);
  EXPECT_EQ(HeldUnfilled(session, kNow), 3);
  // Confirmed + offers + held never exceeds the capacity.
  EXPECT_EQ(session.confirmed + session.offers + HeldUnfilled(session, kNow),
            10);
  // Released: what is left opens to everyone.
  const absl::Time released = kNow + absl::Hours(24);
  EXPECT_EQ(HeldUnfilled(session, released), 0);
  EXPECT_EQ(PlacesFor(session, kSocialCare, released), 3);
  EXPECT_EQ(NextRelease(session.holds, kNow), released);
  EXPECT_EQ(NextRelease(session.holds, released), std::nullopt);
}

TEST(HoldTest, ALoweredCapacityNeverCountsMoreHeldThanIsLeft) {
  SessionInventory session = Session(10, 6, 0);
  session.holds = {{{kPolice}, 4, kNow + absl::Hours(24)}};
  session.occupants_by_type = {{kSocialCare, 6}};
  session.capacity = 8;
  EXPECT_EQ(HeldUnfilled(session, kNow), 2);
  EXPECT_EQ(PlacesFor(session, kPolice, kNow), 2);
  EXPECT_EQ(PlacesFor(session, kSocialCare, kNow), 0);
  session.capacity = 5;  // below the confirmed count: nobody is bumped
  EXPECT_EQ(HeldUnfilled(session, kNow), 0);
  EXPECT_EQ(Remaining(session, kNow), 0);
}

TEST(PromotionTest, NoneOnceTheSessionStartedOrWasCancelled) {
  SessionInventory session = Session(10, 0, 0);
  EXPECT_TRUE(TakesPromotions(session, kNow));
  EXPECT_FALSE(TakesPromotions(session, session.start));
  session.scheduled = false;
  EXPECT_FALSE(TakesPromotions(session, kNow));
}

TEST(PreferenceTest, AnyDateEntriesAcceptTheirDeliveryModes) {
  EXPECT_TRUE(PreferenceAccepts(DeliveryPreference::kOnlineOnly,
                                DeliveryMode::kOnline));
  EXPECT_FALSE(PreferenceAccepts(DeliveryPreference::kOnlineOnly,
                                 DeliveryMode::kInPerson));
  EXPECT_TRUE(PreferenceAccepts(DeliveryPreference::kInPersonOnly,
                                DeliveryMode::kInPerson));
  EXPECT_TRUE(
      PreferenceAccepts(DeliveryPreference::kAny, DeliveryMode::kOnline));
}

TEST(LatenessTest, InsideTheWindowBeforeTheStart) {
  SessionInventory session = Session(10, 0, 0);
  session.late_cancellation_window = absl::Hours(48);
  EXPECT_FALSE(IsLateCancellation(session, session.start - absl::Hours(49)));
  EXPECT_TRUE(IsLateCancellation(session, session.start - absl::Hours(48)));
  EXPECT_TRUE(IsLateCancellation(session, session.start - absl::Hours(1)));
}

TEST(AvailabilityTest, RemainingNeverBelowZero) {
  v1::Availability a = AvailabilityOf(Session(5, 8, 3), kNow);
  EXPECT_EQ(a.remaining(), 0);
  EXPECT_EQ(a.waiting(), 3);
  EXPECT_TRUE(a.bookable());
  EXPECT_EQ(AvailabilityOf(Session(5, 2, 0), kNow).remaining(), 3);
}

TEST(ManageTokenTest, IssuedTokensVerifyOnlyForTheirBooking) {
  auto tokens = ManageTokens::Parse(*ManageTokens::NewSpec("k2"));
  ASSERT_THAT(tokens, IsOk());

  const std::string token = tokens->Issue("bookings/K7QXM4RA", 1, "k2");

  EXPECT_GE(token.size(), 22u);  // ≥ 128 bits in base64
  EXPECT_TRUE(tokens->Verify("bookings/K7QXM4RA", 1, token));
  EXPECT_FALSE(tokens->Verify("bookings/K7QXM4RB", 1, token));
  EXPECT_FALSE(tokens->Verify("bookings/K7QXM4RA", 1, token.substr(1)));
  EXPECT_FALSE(tokens->Verify("bookings/K7QXM4RA", 1, ""));
  std::string flipped = token;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens->Verify("bookings/K7QXM4RA", 1, flipped));
}

TEST(ManageTokenTest, ATokenOpensOnlyTheVersionItWasIssuedFor) {
  auto tokens = ManageTokens::Parse(*ManageTokens::NewSpec("k1"));
  ASSERT_THAT(tokens, IsOk());

  const std::string first = tokens->Issue("bookings/K7QXM4RA", 1, "k1");
  const std::string second = tokens->Issue("bookings/K7QXM4RA", 2, "k1");

  EXPECT_NE(first, second);
  EXPECT_FALSE(tokens->Verify("bookings/K7QXM4RA", 2, first));
  EXPECT_TRUE(tokens->Verify("bookings/K7QXM4RA", 2, second));
  EXPECT_FALSE(tokens->Verify("bookings/K7QXM4RA", 1, second));
  EXPECT_FALSE(tokens->Verify("bookings/K7QXM4RA", 3, second));
}

TEST(ManageTokenTest, OldSecretsAreAcceptedDuringRotation) {
  const std::string old_spec = *ManageTokens::NewSpec("k1");
  const std::string new_spec = *ManageTokens::NewSpec("k2");
  auto before = ManageTokens::Parse(old_spec);
  auto during = ManageTokens::Parse(new_spec + "," + old_spec);
  auto after = ManageTokens::Parse(new_spec);
  ASSERT_TRUE(before.ok() && during.ok() && after.ok());
  const std::string issued_before = before->Issue("bookings/AAAABBBB", 1, "k1");

  EXPECT_TRUE(during->Verify("bookings/AAAABBBB", 1, issued_before));
  EXPECT_EQ(during->current_kid(), "k2");
  // A replay of a booking made under k1 hands out the same token.
  EXPECT_EQ(during->Issue("bookings/AAAABBBB", 1, "k1"), issued_before);
  EXPECT_FALSE(after->Verify("bookings/AAAABBBB", 1, issued_before));
}

// Tokens already handed out must keep verifying whatever the code computing
// them: HMAC-SHA256 of the context and the name, URL-safe base64, computed
// here with OpenSSL's one-shot HMAC, on many threads at once.
TEST(ManageTokenTest, TokensAreTheHmacOfTheNameOnAnyThread) {
  const std::string key(32, '\x2a');
  auto tokens =
      ManageTokens::Parse(absl::StrCat("k1:", absl::WebSafeBase64Escape(key)));
  ASSERT_THAT(tokens, IsOk());
  auto expected = [&](const std::string& name) {
    const std::string message =
        absl::StrCat("training.booking.v1/manage-token:", name);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(),
         mac, &length);
    return absl::WebSafeBase64Escape(
        absl::string_view(reinterpret_cast<const char*>(mac), length));
  };

  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string name = absl::StrCat("bookings/T", t, "N", i);
        const std::string token = tokens->Issue(name, 1, "k1");
        wrong += token != expected(name) || !tokens->Verify(name, 1, token);
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(tokens->Issue("bookings/K7QXM4RA", 1, "k1").size(), 43u);
}

TEST(ManageTokenTest, RejectsWeakOrMalformedSecrets) {
  for (const char* spec : {"", "nokid", "K1:abc", "k1:short",
                           "k1:!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"}) {
    SCOPED_TRACE(spec);
    EXPECT_THAT(ManageTokens::Parse(spec).status(),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

}  // namespace
}  // namespace training::booking
