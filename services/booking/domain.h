#ifndef TRAINING_SERVICES_BOOKING_DOMAIN_H_
#define TRAINING_SERVICES_BOOKING_DOMAIN_H_

// The booking rules in plain C++: who may book what, what a request
// decides (a place or the waiting list), how many people a freed place
// promotes, what counts as late, and what references look like. No gRPC,
// no SQL. Decisions are made from a SessionInventory read under the
// session's row lock; these functions never look anything up themselves.

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
  int waiting = 0;    // WAITLISTED single-session entries
  absl::Time booking_open;
  absl::Time booking_close;
  absl::Time start;
  absl::Time end;
  std::set<int> eligible_agency_types;
  // Before the start by at most this much, a cancellation is late.
  absl::Duration late_cancellation_window = absl::Hours(48);
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

// 8 characters from 23456789ABCDEFGHJKLMNPQRSTUVWXYZ (no 0/O, 1/I), random.
std::string NewReference();

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
// take staff of `agency_type`.
absl::Status CheckEligible(const SessionInventory& session, int agency_type);

// The outcome of one booking request on a bookable session.
struct Placement {
  v1::Booking::State state;   // CONFIRMED or WAITLISTED
  int waitlist_position = 0;  // 1-based when WAITLISTED
};

// Confirms while a place is free, otherwise joins the end of the waiting
// list; updates the counts in `session` to match.
Placement PlaceBooking(SessionInventory& session);

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

// How many people at the head of the waiting list a session can confirm
// now: free places, at most the number waiting. Never negative: a capacity
// lowered below the confirmed count frees nothing until enough cancel.
int PromotionsAvailable(const SessionInventory& session);

// Whether cancelling at `now` is inside the late-cancellation window.
bool IsLateCancellation(const SessionInventory& session, absl::Time now);

// Seats for display: remaining = capacity − confirmed, never below 0.
v1::Availability AvailabilityOf(const SessionInventory& session,
                                absl::Time now);

// A course's rules, as the catalogue last announced them.
struct CourseRules {
  std::string course;
  bool published = false;
  std::vector<int> eligible_agency_types;
  absl::Duration late_cancellation_window = absl::Hours(48);
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
  absl::Time source_time;  // the catalogue's update_time
};

// What the catalogue's resources say, as kept by booking.
CourseRules RulesFromCatalogue(const training::catalogue::v1::Course& course);
SessionFacts FactsFromCatalogue(
    const training::catalogue::v1::Session& session);

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_DOMAIN_H_
