#ifndef TRAINING_SERVICES_BOOKING_DOMAIN_TYPES_H_
#define TRAINING_SERVICES_BOOKING_DOMAIN_TYPES_H_

// The booking domain's own words: the enums its rules speak (converted
// from and to the contract's at the handler and the store, see
// domain_proto.h) and what it knows of a session and its course. Plain
// C++: no gRPC, no SQL, no protos.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace training::booking {

// Who a person works for. The values are the contract's
// (training.type.v1.AgencyType), which its compatibility rules keep
// stable; the store keeps them as these numbers.
enum class AgencyType : int {
  kUnspecified = 0,
  kChildrensSocialCare = 1,
  kEarlyHelp = 2,
  kHealth = 3,
  kEducation = 4,
  kPolice = 5,
  kProbationYouthJustice = 6,
  kHousing = 7,
  kVoluntarySector = 8,
  kOther = 9,
};

// Where a booking stands (training.booking.v1.Booking.State's values).
enum class BookingState : int {
  kUnspecified = 0,
  kConfirmed = 1,     // has a place
  kWaitlisted = 2,    // on a waiting list
  kOffered = 3,       // a place is held for them until the offer expires
  kCancelled = 4,     // cancelled, or the offer lapsed or was declined
  kLeftWaitlist = 5,  // left the waiting list
};

// What a booking is for (training.booking.v1.Booking.Scope's values).
enum class BookingScope : int {
  kUnspecified = 0,  // treated as kSession
  kSession = 1,      // one session
  kAnyDate = 2,      // any date of a course
};

// How a session is delivered (training.catalogue.v1.DeliveryMode's values).
enum class DeliveryMode : int {
  kUnspecified = 0,
  kInPerson = 1,
  kOnline = 2,
};

// Which sessions an any-date entry accepts
// (training.booking.v1.Booking.DeliveryPreference's values).
enum class DeliveryPreference : int {
  kAny = 0,
  kOnlineOnly = 1,
  kInPersonOnly = 2,
};

// The number the store and the contract use for a domain enum value.
template <typename Enum>
constexpr int64_t Number(Enum value) {
  return static_cast<int64_t>(value);
}

// Places of a session held for some agency types until a release time.
struct HeldPlaces {
  std::set<AgencyType> agency_types;
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
  DeliveryMode delivery_mode = DeliveryMode::kUnspecified;
  absl::Time booking_open;
  absl::Time booking_close;
  absl::Time start;
  absl::Time end;
  std::set<AgencyType> eligible_agency_types;
  // Before the start by at most this much, a cancellation is late.
  absl::Duration late_cancellation_window = absl::Hours(48);
  OfferPolicy offer_policy;
  std::vector<HeldPlaces> holds;
  // CONFIRMED and OFFERED bookings by agency type; read only while a hold
  // is unreleased (it decides who fills the held places).
  std::map<AgencyType, int> occupants_by_type;
  int64_t version = 0;  // bumped by every change, orders cache writes
};

// A course's rules, as the catalogue last announced them.
struct CourseRules {
  std::string course;
  bool published = false;
  std::set<AgencyType> eligible_agency_types;
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
  DeliveryMode delivery_mode = DeliveryMode::kUnspecified;
  std::vector<HeldPlaces> holds;
  absl::Time source_time;  // the catalogue's update_time
};

// What the rules need to know of one booking that holds, or waits for, a
// place of a session.
struct SeatHolder {
  BookingState state = BookingState::kUnspecified;
  bool any_date = false;  // an entry for any date of the course
  AgencyType agency_type = AgencyType::kUnspecified;
  std::string email_key;  // the address as compared (EmailKey)
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_DOMAIN_TYPES_H_
