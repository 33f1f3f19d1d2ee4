#include "services/booking/booking_events.h"

#include "common/events/outbox.h"

namespace training::booking {

Event NewEvent(const Caller& caller, const std::string& subject) {
  return events::NewEvent("booking", subject, caller.request_id,
                          caller.traceparent, caller.tracestate);
}

Event BookingEvent(const Caller& caller, const v1::Booking& b) {
  Event event = NewEvent(caller, b.name());
  AddBookedBy(event, b);
  return event;
}

void AddBookedBy(Event& event, const v1::Booking& b) {
  if (b.booked_by_organisation().empty()) return;
  events::v1::BookedBy* by = event.add_booked_by();
  by->set_booking(b.name());
  by->set_organisation(b.booked_by_organisation());
}

const char* StateWord(v1::Booking::State state) {
  switch (state) {
    case v1::Booking::CONFIRMED:
      return "confirmed";
    case v1::Booking::WAITLISTED:
      return "waitlisted";
    case v1::Booking::OFFERED:
      return "offered";
    default:
      return "other";
  }
}

Event ConfirmedEvent(const Caller& caller, const v1::Booking& b) {
  Event event = BookingEvent(caller, b);
  auto* confirmed = event.mutable_booking_confirmed();
  confirmed->set_booking(b.name());
  confirmed->set_session(b.session());
  return event;
}

Event WaitlistedEvent(const Caller& caller, const v1::Booking& b,
                      int position) {
  Event event = BookingEvent(caller, b);
  auto* waitlisted = event.mutable_booking_waitlisted();
  waitlisted->set_booking(b.name());
  waitlisted->set_session(b.session());
  waitlisted->set_course(b.course());
  waitlisted->set_position(position);
  return event;
}

Event OfferedEvent(const Caller& caller, const v1::Booking& b) {
  Event event = BookingEvent(caller, b);
  auto* offered = event.mutable_place_offered();
  offered->set_booking(b.name());
  offered->set_session(b.offer().session());
  *offered->mutable_expire_time() = b.offer().expire_time();
  return event;
}

Event PromotedEvent(const Caller& caller, const v1::Booking& b,
                    events::v1::BookingPromoted::Via via) {
  Event event = BookingEvent(caller, b);
  auto* promoted = event.mutable_booking_promoted();
  promoted->set_booking(b.name());
  promoted->set_session(b.session());
  promoted->set_via(via);
  return event;
}

Event OfferEndedEvent(const Caller& caller, const v1::Booking& b,
                      v1::Cancellation::Cause cause) {
  Event event = BookingEvent(caller, b);
  if (cause == v1::Cancellation::OFFER_EXPIRED) {
    event.mutable_offer_expired()->set_booking(b.name());
    event.mutable_offer_expired()->set_session(b.session());
  } else {
    event.mutable_offer_declined()->set_booking(b.name());
    event.mutable_offer_declined()->set_session(b.session());
  }
  return event;
}

Event CancelledEvent(const Caller& caller, const v1::Booking& b,
                     v1::Booking::State before,
                     events::v1::BookingCancelled::Cause cause) {
  Event event = BookingEvent(caller, b);
  auto* cancelled = event.mutable_booking_cancelled();
  cancelled->set_booking(b.name());
  cancelled->set_session(b.session());
  cancelled->set_late(b.cancellation().late());
  cancelled->set_session_cancelled(
      cause == events::v1::BookingCancelled::SESSION_CANCELLED);
  cancelled->set_previous_state(StateWord(before));
  cancelled->set_cause(cause);
  return event;
}

events::v1::BookingCancelled::Cause CancelCauseOf(const Caller& caller) {
  return caller.kind == Caller::Kind::kAdmin
             ? events::v1::BookingCancelled::TRAINING_TEAM
             : events::v1::BookingCancelled::ATTENDEE;
}

Event SubstitutedEvent(const Caller& caller, const v1::Booking& b,
                       const std::string& previous_contact_id) {
  Event event = BookingEvent(caller, b);
  auto* substituted = event.mutable_attendee_substituted();
  substituted->set_booking(b.name());
  substituted->set_session(b.session());
  substituted->set_previous_contact_id(previous_contact_id);
  return event;
}

Event AttendanceEvent(const Caller& caller, const std::string& session,
                      const std::vector<std::string>& attended,
                      const std::vector<std::string>& no_shows) {
  Event event = NewEvent(caller, session);
  auto* recorded = event.mutable_attendance_recorded();
  recorded->set_session(session);
  for (const std::string& name : attended) {
    recorded->add_attended_bookings(name);
  }
  for (const std::string& name : no_shows) recorded->add_no_show_bookings(name);
  return event;
}

Event ErasedEvent(const Caller& caller,
                  const std::vector<std::string>& bookings,
                  const std::vector<std::string>& line_manager_bookings,
                  const std::string& address_hash,
                  const std::string& address_hash_key) {
  Event event = NewEvent(caller, "personalData");
  auto* erased = event.mutable_personal_data_erased();
  for (const std::string& name : bookings) erased->add_bookings(name);
  for (const std::string& name : line_manager_bookings) {
    erased->add_line_manager_bookings(name);
  }
  erased->set_address_hash(address_hash);
  erased->set_address_hash_key(address_hash_key);
  return event;
}

}  // namespace training::booking
