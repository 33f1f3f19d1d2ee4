#ifndef TRAINING_SERVICES_BOOKING_DOMAIN_H_
#define TRAINING_SERVICES_BOOKING_DOMAIN_H_

// The booking rules in plain C++: who may book what, what a request
// decides (a place or the waiting list), who gets a freed place, which
// offers a capacity cut takes back, what counts as late, and what
// references look like. No gRPC, no SQL, none of the catalogue's types.
// Decisions are made from a SessionInventory read under the session's row
// lock; these functions never look anything up themselves.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "common/text/text.h"
#include "services/booking/domain_types.h"
#include "training/booking/v1/resources.pb.h"

namespace training::booking {

// --- Input rules ---

// The suite's rules for an e-mail address and a session's name
// (common/text/text.h).
using ::training::text::IsSessionName;
using ::training::text::IsValidEmail;

// The address as compared: lower-cased.
std::string EmailKey(absl::string_view email);

// Appends a violation for each broken rule of Attendee, fields named
// `<prefix>.display_name` etc.
void ValidateAttendee(const v1::Attendee& attendee, absl::string_view prefix,
                      std::vector<FieldViolation>& out);

// --- References ---

// 8 characters from 23456789ABCDEFGHJKLMNPQRSTUVWXYZ (no 0/O, 1/I): two
// derived from `cluster` (the session, or the course of an any-date entry),
// then six random (30 bits). The shared prefix keeps a batch's new
// references together in the reference index, so that committing 200
// bookings writes a few index pages instead of 200 scattered ones. The
// prefix is a fixed hash, the same on every replica and version.
absl::StatusOr<std::string> NewReference(absl::string_view cluster);
// `count` of them at once, from one draw of random bytes (a batch's).
absl::StatusOr<std::vector<std::string>> NewReferences(
    absl::string_view cluster, size_t count);

// Draws `n` random bytes: random::SecureBytes, unless a test injects a
// source (to make references clash, for one).
using RandomBytes = std::function<absl::StatusOr<std::string>(size_t n)>;
absl::StatusOr<std::vector<std::string>> NewReferences(
    absl::string_view cluster, size_t count, const RandomBytes& random);

// The canonical reference of `bookings/{reference}`, accepting any case and
// a hyphen after the fourth character (`k7qx-m4ra`); nullopt when malformed.
std::optional<std::string> ParseBookingName(absl::string_view name);

inline std::string BookingName(absl::string_view reference) {
  return std::string("bookings/") + std::string(reference);
}

// --- Decisions ---

// Why a session cannot take a booking now; OK when it can. Refusals are
// FAILED_PRECONDITION with an ErrorInfo reason: SESSION_CANCELLED,
// COURSE_NOT_PUBLISHED, BOOKING_NOT_OPEN, BOOKING_CLOSED.
absl::Status CheckBookable(const SessionInventory& session, absl::Time now);

// FAILED_PRECONDITION (AGENCY_TYPE_NOT_ELIGIBLE) when the course does not
// take staff of `agency_type`: the one eligibility rule, for a session's
// bookings and a course's any-date entries alike.
absl::Status CheckEligible(const std::set<AgencyType>& eligible_agency_types,
                           AgencyType agency_type);
inline absl::Status CheckEligible(const SessionInventory& session,
                                  AgencyType agency_type) {
  return CheckEligible(session.eligible_agency_types, agency_type);
}

// Whether a booking in `state` holds or waits for a place: CONFIRMED,
// WAITLISTED or OFFERED.
bool IsActive(BookingState state);

// The outcome of one booking request on a bookable session.
struct Placement {
  BookingState state;         // kConfirmed or kWaitlisted
  int waitlist_position = 0;  // 1-based when kWaitlisted
};

// Places neither confirmed nor offered: capacity − confirmed − offers,
// held places included, never below 0.
int FreePlaces(const SessionInventory& session);

// Held places not yet filled and not yet released at `now`. Holds are
// filled in order by CONFIRMED and OFFERED bookings of their types; the
// total is clamped so that confirmed + offers + held never exceeds the
// capacity while confirmed + offers does not.
int HeldUnfilled(const SessionInventory& session, absl::Time now);

// Places a person of `agency_type` may take now: free places nobody holds,
// plus unfilled places held for that type.
int PlacesFor(const SessionInventory& session, AgencyType agency_type,
              absl::Time now);

// The agency types whose staff could take a place now: nullopt (any type)
// while a place nobody holds is free; otherwise the types of the
// unreleased holds with places unfilled (empty when nothing is free).
// Exactly the types for which PlacesFor is above 0.
std::optional<std::set<AgencyType>> TypesWithPlaces(
    const SessionInventory& session, absl::Time now);

// Places anyone can book now: capacity − confirmed − offers − held,
// never below 0.
int Remaining(const SessionInventory& session, absl::Time now);

// Confirms when a place is free for the person, otherwise joins the end of
// the waiting list (behind every earlier entry, any-date ones included);
// updates the counts in `session` to match.
Placement PlaceBooking(SessionInventory& session, AgencyType agency_type,
                       absl::Time now);

// Whether an any-date entry with `preference` accepts a session delivered
// in `mode`: any mode for kAny, the named one otherwise.
bool PreferenceAccepts(DeliveryPreference preference, DeliveryMode mode);
// The same rule turned round: every preference that accepts `mode` (what
// a store selects waiting entries by).
std::vector<DeliveryPreference> PreferencesAccepting(DeliveryMode mode);

// When an offer made at `now` lapses: the course's hold, cut short so as
// not to run past the booking close, but never below the minimum hold.
absl::Time OfferExpiry(const SessionInventory& session, absl::Time now);

// The earliest hold release after `after`; nullopt when none.
std::optional<absl::Time> NextRelease(const std::vector<HeldPlaces>& holds,
                                      absl::Time after);

// One booking request of a batch, as far as deciding it goes.
struct BookingAsk {
  AgencyType agency_type = AgencyType::kUnspecified;
  std::string email_key;
};

// Decides a batch of requests for one session in arrival order, as if each
// came alone: the session must be bookable and the agency type eligible; an
// address already active (in `active_email_keys`, or earlier in the batch)
// is ALREADY_EXISTS (ALREADY_BOOKED); the rest are placed with
// PlaceBooking, which updates the counts in `session`. A refusal affects
// only its own request.
std::vector<absl::StatusOr<Placement>> DecideBatch(
    SessionInventory& session, absl::Time now,
    const std::vector<BookingAsk>& asks,
    std::set<std::string> active_email_keys);

// --- When a place frees ---

// Takes a booking that ends out of its session's counts: a confirmed or
// offered place is freed (and no longer fills a hold of its type), a
// single-session waiting entry leaves the session's list; an any-date
// entry still waiting holds nothing of a session. Returns whether a place
// was freed.
bool ReleasePlace(SessionInventory& session, const SeatHolder& holder);

// Whether a freed place may still go to the waiting list: the session is
// scheduled and has not started.
bool TakesPromotions(const SessionInventory& session, absl::Time now);

// A freed place given to an entry of the waiting list.
struct Promotion {
  size_t entry = 0;  // its index in the queue given to ChoosePromotions
  BookingState state = BookingState::kConfirmed;  // or kOffered
  absl::Time offer_expiry;                        // when kOffered
};

// Who gets the session's free places: the rule for a freed place. `queue`
// is the head of the session's waiting list, oldest first (its own entries
// and its course's any-date entries that accept it). In that order, each
// entry gets a place when one is free for its agency type (held places go
// only to their types, so an entry may be passed over for a later one of
// another type); an any-date entry whose address already holds a booking
// of the session (`active_email_keys`) is passed over and waits for
// another date. The course's policy says whether a place is confirmed at
// once or offered until OfferExpiry. Updates the counts in `session`.
// None when the session takes no promotions (TakesPromotions) or no place
// is free; the promotions in queue order otherwise. The caller reads the
// queue a page at a time, only entries of TypesWithPlaces, while any place
// is free: so it reads about as many entries as it places.
std::vector<Promotion> ChoosePromotions(SessionInventory& session,
                                        const std::vector<SeatHolder>& queue,
                                        std::set<std::string> active_email_keys,
                                        absl::Time now);

// After a capacity cut: which of the session's open offers (`offers`,
// oldest first) are taken back so that confirmed + offers fits the
// capacity again, newest first (confirmed places are never taken back).
// Each waits again, on the session's list or its course's; the counts in
// `session` are updated. Returns their indices into `offers`.
std::vector<size_t> OffersToWithdraw(SessionInventory& session,
                                     const std::vector<SeatHolder>& offers);

// Whether cancelling at `now` is inside the late-cancellation window.
bool IsLateCancellation(const SessionInventory& session, absl::Time now);

// Seats for display: offers out, held places, and what remains.
v1::Availability AvailabilityOf(const SessionInventory& session,
                                absl::Time now);

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_DOMAIN_H_
