#include "services/booking/catalogue_events.h"

#include <optional>

#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/booking/booking_events.h"
#include "services/booking/catalogue_facts.h"
#include "services/booking/domain.h"

namespace training::booking {

absl::Status CatalogueEvents::Apply(
    BookingTransaction& tx, const Event& event,
    std::vector<SessionInventory>& changed) const {
  Caller caller;
  caller.kind = Caller::Kind::kService;
  caller.request_id = event.request_id();
  caller.traceparent = event.traceparent();
  caller.tracestate = event.tracestate();
  switch (event.payload_case()) {
    case Event::kCoursePublished: {
      ASSIGN_OR_RETURN(CourseRules rules,
                       RulesFromCatalogue(event.course_published().course()));
      return tx.PutCourseRules(rules).status();
    }
    case Event::kCourseChanged: {
      ASSIGN_OR_RETURN(CourseRules rules,
                       RulesFromCatalogue(event.course_changed().course()));
      return tx.PutCourseRules(rules).status();
    }
    case Event::kCourseArchived:
      // Archived courses take no new bookings; existing ones stand.
      return tx.ArchiveCourse(event.course_archived().course(),
                              FromProto(event.occur_time()));
    case Event::kSessionScheduled:
      return SessionScheduled(tx, event, caller, changed);
    case Event::kSessionChanged:
      return SessionChanged(tx, event, caller, changed);
    case Event::kSessionCancelled:
      return SessionCancelled(tx, event, caller, changed);
    default:
      return absl::OkStatus();  // not ours to act on
  }
}

void CatalogueEvents::AfterCommit(
    const std::vector<SessionInventory>& changed) const {
  for (const SessionInventory& inventory : changed) {
    context_.RefreshCache(inventory);
  }
}

absl::Status CatalogueEvents::SessionScheduled(
    BookingTransaction& tx, const Event& event, const Caller& caller,
    std::vector<SessionInventory>& changed) const {
  // The session's row first, then the course's: the one lock order.
  const auto& session = event.session_scheduled().session();
  // Both checked before either is written.
  ASSIGN_OR_RETURN(SessionFacts facts, FactsFromCatalogue(session));
  ASSIGN_OR_RETURN(CourseRules rules,
                   RulesFromCatalogue(event.session_scheduled().course()));
  RETURN_IF_ERROR(tx.PutSessionFacts(facts).status());
  RETURN_IF_ERROR(tx.PutCourseRules(rules).status());
  // A new date offers its places to the course's any-date entries.
  ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                   tx.LockInventory(session.name()));
  if (!locked) return absl::OkStatus();
  RETURN_IF_ERROR(waitlist_->Promote(tx, *locked, caller));
  RETURN_IF_ERROR(tx.SaveCounts(*locked));
  changed.push_back(*std::move(locked));
  return absl::OkStatus();
}

absl::Status CatalogueEvents::SessionChanged(
    BookingTransaction& tx, const Event& event, const Caller& caller,
    std::vector<SessionInventory>& changed) const {
  const auto& session = event.session_changed().session();
  ASSIGN_OR_RETURN(SessionFacts facts, FactsFromCatalogue(session));
  ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                   tx.LockInventory(session.name()));
  if (!locked) return absl::OkStatus();
  ASSIGN_OR_RETURN(bool applied, tx.PutSessionFacts(facts));
  if (!applied) return absl::OkStatus();
  ASSIGN_OR_RETURN(locked, tx.LockInventory(session.name()));
  SessionInventory inventory = *std::move(locked);
  // A lowered capacity bumps nobody confirmed, but takes back the newest
  // offers that no longer fit: they wait again, at their place in the
  // queue. A raised one promotes as many as now fit.
  RETURN_IF_ERROR(waitlist_->WithdrawOffersBeyondCapacity(tx, inventory));
  RETURN_IF_ERROR(waitlist_->Promote(tx, inventory, caller));
  RETURN_IF_ERROR(tx.SaveCounts(inventory));
  changed.push_back(std::move(inventory));
  return absl::OkStatus();
}

absl::Status CatalogueEvents::SessionCancelled(
    BookingTransaction& tx, const Event& event, const Caller& caller,
    std::vector<SessionInventory>& changed) const {
  const std::string& name = event.session_cancelled().session();
  ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                   tx.LockInventory(name));
  if (!locked) return absl::OkStatus();
  SessionInventory inventory = *std::move(locked);
  RETURN_IF_ERROR(tx.CancelSession(name));
  inventory.scheduled = false;
  const absl::Time now = context_.clock->Now();
  ASSIGN_OR_RETURN(std::vector<StoredBooking> active, tx.ActiveBookings(name));
  for (StoredBooking& stored : active) {
    const v1::Booking::State before = stored.booking.state();
    internal::EndBooking(stored, inventory, v1::Booking::CANCELLED,
                         v1::Cancellation::SESSION_CANCELLED,
                         event.session_cancelled().reason(), now);
    // Nobody is late when the session itself is called off.
    stored.booking.mutable_cancellation()->set_late(false);
    RETURN_IF_ERROR(tx.UpdateBooking(stored));
    RETURN_IF_ERROR(tx.ForgetPreviousContacts(stored.booking.reference()));
    RETURN_IF_ERROR(tx.AddEvent(
        CancelledEvent(caller, stored.booking, before,
                       events::v1::BookingCancelled::SESSION_CANCELLED)));
  }
  RETURN_IF_ERROR(tx.SaveCounts(inventory));
  changed.push_back(std::move(inventory));
  return absl::OkStatus();
}

}  // namespace training::booking
