#ifndef TRAINING_SERVICES_BOOKING_DOMAIN_H_
#define TRAINING_SERVICES_BOOKING_DOMAIN_H_

// The booking rules in plain C++: who may book what, what a request
// decides (a place or the waiting list), how many people a freed place
// promotes, what counts as late, and what references look like. No gRPC,
// no SQL. Decisions are made from a SessionInventory read under the
// session's row lock; these functions never look anything up themselves.

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
#include "training/booking/v1/resources.pb.h"
#include "training/catalogue/v1/resources.pb.h"

namespace training::booking {

namespace v1 = ::training::booking::v1;

// Places of a session held for some agency types until a release time.
struct HeldPlaces {
  std::set<int> agency_types;
  int places = 0;
  absl::Time release;
};

// How a freed place reaches the waiting list (the course's policy).
struct OfferPolicy {
  bool offer = false;  // false: the head is confirmed at once
  absl::Duration hold = absl::Hours(48);
  absl::Duration minimum_hold = absl::Hours(2);
};

// What the booking service knows of a session and its course's rules, kept
// from catalogue events (or asked for once when an unknown session is
// booked), with the live counts the booking path maintains.
struct SessionInventory {
  std::string session;    // courses/{course}/sessions/{id}
  std::string course;     // courses/{course}
  bool scheduled = true;  // false once cancelled
  bool course_published = false;
  int capacity = 0;
  int confirmed = 0;  // CONFIRMED bookings
  int offers = 0;     // OFFERED bookings: places held for them
  int waiting = 0;    // WAITLISTED single-session entries
  // Any-date entries of the course that would take a place here, all
  // earlier than any new booking: they come first in the queue.
  int any_date_waiting = 0;
  // training.catalogue.v1.DeliveryMode.
  int delivery_mode = 0;
  absl::Time booking_open;
  absl::Time booking_close;
  absl::Time start;
  absl::Time end;
  std::set<int> eligible_agency_types;
  // Before the start by at most this much, a cancellation is late.
  absl::Duration late_cancellation_window = absl::Hours(48);
  OfferPolicy offer_policy;
  std::vector<HeldPlaces> holds;
  // CONFIRMED and OFFERED bookings by agency type; read only while a hold
  // is unreleased (it decides who fills the held places).
  std::map<int, int> occupants_by_type;
  int64_t version = 0;  // bumped by every change, orders cache writes
};

// --- Input rules ---

// A work e-mail address: at most 254 characters, one '@', a non-empty local
// part, a domain with a dot and no spaces or control characters.
bool IsValidEmail(absl::string_view email);

// `courses/{course}/sessions/{session}`, one segment each.
bool IsSessionName(absl::string_view name);

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
absl::Status CheckEligible(const std::set<int>& eligible_agency_types,
                           int agency_type);
inline absl::Status CheckEligible(const SessionInventory& session,
                                  int agency_type) {
  return CheckEligible(session.eligible_agency_types, agency_type);
}

// The outcome of one booking request on a bookable session.
struct Placement {
  v1::Booking::State state;   // CONFIRMED or WAITLISTED
  int waitlist_position = 0;  // 1-based when WAITLISTED
};

// Held places not yet filled and not yet released at `now`. Holds are
// filled in order by CONFIRMED and OFFERED bookings of their types; the
// total is clamped so that confirmed + offers + held never exceeds the
// capacity while confirmed + offers does not.
int HeldUnfilled(const SessionInventory& session, absl::Time now);

// Places a person of `agency_type` may take now: free places nobody holds,
// plus unfilled places held for that type.
int PlacesFor(const SessionInventory& session, int agency_type, absl::Time now);

// Places anyone can book now: capacity − confirmed − offers − held,
// never below 0.
int Remaining(const SessionInventory& session, absl::Time now);

// Confirms when a place is free for the person, otherwise joins the end of
// the waiting list (behind every earlier entry, any-date ones included);
// updates the counts in `session` to match.
Placement PlaceBooking(SessionInventory& session, int agency_type,
                       absl::Time now);

// Whether an any-date entry with `preference`
// (v1::Booking::DeliveryPreference) accepts a session delivered in
// `delivery_mode` (training.catalogue.v1.DeliveryMode).
bool PreferenceAccepts(int preference, int delivery_mode);

// When an offer made at `now` lapses: the course's hold, cut short so as
// not to run past the booking close, but never below the minimum hold.
absl::Time OfferExpiry(const SessionInventory& session, absl::Time now);

// The earliest hold release after `after`; nullopt when none.
std::optional<absl::Time> NextRelease(const std::vector<HeldPlaces>& holds,
                                      absl::Time after);

// One booking request of a batch, as far as deciding it goes.
struct BookingAsk {
  int agency_type = 0;
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

// Whether a freed place may still go to the waiting list: the session is
// scheduled and has not started.
bool TakesPromotions(const SessionInventory& session, absl::Time now);

// Whether cancelling at `now` is inside the late-cancellation window.
bool IsLateCancellation(const SessionInventory& session, absl::Time now);

// Seats for display: offers out, held places, and what remains.
v1::Availability AvailabilityOf(const SessionInventory& session,
                                absl::Time now);

// A course's rules, as the catalogue last announced them.
struct CourseRules {
  std::string course;
  bool published = false;
  std::vector<int> eligible_agency_types;
  absl::Duration late_cancellation_window = absl::Hours(48);
  OfferPolicy offer_policy;
  absl::Time source_time;  // the catalogue's update_time
};

// A session's facts, as the catalogue last announced them.
struct SessionFacts {
  std::string session;
  std::string course;
  bool scheduled = true;
  int capacity = 0;
  absl::Time booking_open;
  absl::Time booking_close;
  absl::Time start;
  absl::Time end;
  int delivery_mode = 0;
  std::vector<HeldPlaces> holds;
  absl::Time source_time;  // the catalogue's update_time
};

// What the catalogue's resources say, as kept by booking (catalogue_facts.cc),
// range-checked: events come over Redis, and a capacity, count, time or
// name out of range is INVALID_ARGUMENT naming the field, never stored.
absl::StatusOr<CourseRules> RulesFromCatalogue(
    const training::catalogue::v1::Course& course);
absl::StatusOr<SessionFacts> FactsFromCatalogue(
    const training::catalogue::v1::Session& session);

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_DOMAIN_H_
