#ifndef TRAINING_SERVICES_BOOKING_BOOKING_EVENTS_H_
#define TRAINING_SERVICES_BOOKING_BOOKING_EVENTS_H_

// The events booking publishes, one builder per fact, so that every site
// that confirms, waitlists, offers, promotes, cancels or substitutes says
// the same thing the same way. Each takes the booking as it stands after
// the change; none stores anything (the caller adds it to the outbox in
// its transaction).

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/booking/caller.h"
#include "training/booking/v1/resources.pb.h"
#include "training/events/v1/events.pb.h"

namespace training::booking {

using ::training::events::v1::Event;

// An event about `subject`, carrying the caller's request id and trace.
Event NewEvent(const Caller& caller, const std::string& subject);

// An event about booking `b`, its `booked_by` set when an agency key made
// it (webhooks scope agency subscriptions by that).
Event BookingEvent(const Caller& caller, const v1::Booking& b);
// Adds `b` to the event's `booked_by` when an agency key made it.
void AddBookedBy(Event& event, const v1::Booking& b);

// How a state is named in BookingCancelled.previous_state.
const char* StateWord(v1::Booking::State state);

Event ConfirmedEvent(const Caller& caller, const v1::Booking& b);
// `position`: 1-based, on the session's list or, for an any-date entry,
// on its course's.
Event WaitlistedEvent(const Caller& caller, const v1::Booking& b, int position);
Event OfferedEvent(const Caller& caller, const v1::Booking& b);
Event PromotedEvent(const Caller& caller, const v1::Booking& b,
                    events::v1::BookingPromoted::Via via);
// An offer that ended without a place: declined or expired (by `cause`).
Event OfferEndedEvent(const Caller& caller, const v1::Booking& b,
                      v1::Cancellation::Cause cause);
// `before`: the state the booking left; `cause`: who or what ended it, so
// that the notification service words its message (or sends none).
Event CancelledEvent(const Caller& caller, const v1::Booking& b,
                     v1::Booking::State before,
                     events::v1::BookingCancelled::Cause cause);
// The cause of a cancellation asked for by `caller`: the training team for
// an admin key, the attendee otherwise.
events::v1::BookingCancelled::Cause CancelCauseOf(const Caller& caller);
Event SubstitutedEvent(const Caller& caller, const v1::Booking& b,
                       const std::string& previous_contact_id);
// The register taken: booking names marked attended and no-show.
Event AttendanceEvent(const Caller& caller, const std::string& session,
                      const std::vector<std::string>& attended,
                      const std::vector<std::string>& no_shows);
// A person's data erased: the bookings that held it, those that named the
// address as line manager, and the address as its keyed hash only.
Event ErasedEvent(const Caller& caller,
                  const std::vector<std::string>& bookings,
                  const std::vector<std::string>& line_manager_bookings,
                  const std::string& address_hash,
                  const std::string& address_hash_key);

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_BOOKING_EVENTS_H_
