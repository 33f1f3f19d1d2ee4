#include "services/booking/waitlist.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/booking/booking_events.h"
#include "services/booking/domain.h"

namespace training::booking {

using internal::EndBooking;

absl::Status Waitlist::Promote(BookingTransaction& tx,
                               SessionInventory& inventory,
                               const Caller& caller) const {
  const absl::Time now = context_.clock->Now();
  if (inventory.session.empty() || !TakesPromotions(inventory, now) ||
      inventory.capacity - inventory.confirmed - inventory.offers <= 0) {
    return absl::OkStatus();
  }
  // After the session's row: any-date entries are shared by the course.
  RETURN_IF_ERROR(tx.LockCourse(inventory.course));
  // Held places may pass over people of other agencies, so read a little
  // more of the queue than there are places.
  const int scan =
      std::max(1, inventory.capacity - inventory.confirmed - inventory.offers) +
      200;
  ASSIGN_OR_RETURN(std::vector<StoredBooking> head,
                   tx.HeadOfWaitlist(inventory, scan));
  std::vector<Event> events;
  for (StoredBooking& next : head) {
    if (inventory.capacity - inventory.confirmed - inventory.offers <= 0) break;
    v1::Booking& b = next.booking;
    const int agency_type = b.attendee().agency_type();
    if (PlacesFor(inventory, agency_type, now) <= 0) continue;
    const bool any_date = b.scope() == v1::Booking::ANY_DATE;
    if (any_date) {
      // Someone already on this session keeps that booking; the entry
      // waits for another date.
      ASSIGN_OR_RETURN(bool active,
                       tx.HasActiveBooking(inventory.session,
                                           EmailKey(b.attendee().email()), ""));
      if (active) continue;
      b.set_session(inventory.session);
      --inventory.any_date_waiting;
    } else {
      --inventory.waiting;
    }
    ++inventory.occupants_by_type[agency_type];
    *b.mutable_update_time() = ToProto(now);
    if (inventory.offer_policy.offer) {
      b.set_state(v1::Booking::OFFERED);
      v1::Offer& offer = *b.mutable_offer();
      offer.set_session(inventory.session);
      *offer.mutable_offer_time() = ToProto(now);
      *offer.mutable_expire_time() = ToProto(OfferExpiry(inventory, now));
      ++inventory.offers;
      events.push_back(OfferedEvent(caller, b));
    } else {
      b.set_state(v1::Booking::CONFIRMED);
      *b.mutable_confirm_time() = ToProto(now);
      ++inventory.confirmed;
      events.push_back(PromotedEvent(
          caller, b, ::training::events::v1::BookingPromoted::AUTO_CONFIRM));
    }
    RETURN_IF_ERROR(tx.UpdateBooking(next));
  }
  return tx.AddEvents(std::move(events));
}

absl::Status Waitlist::WithdrawOffersBeyondCapacity(
    BookingTransaction& tx, SessionInventory& inventory) const {
  if (inventory.offers == 0 ||
      inventory.confirmed + inventory.offers <= inventory.capacity) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(
      std::vector<StoredBooking> offered,
      tx.SessionBookings(inventory.session, {v1::Booking::OFFERED}));
  const absl::Time now = context_.clock->Now();
  for (auto it = offered.rbegin(); it != offered.rend(); ++it) {
    if (inventory.confirmed + inventory.offers <= inventory.capacity) break;
    v1::Booking& b = it->booking;
    b.set_state(v1::Booking::WAITLISTED);
    b.clear_offer();
    *b.mutable_update_time() = ToProto(now);
    --inventory.offers;
    --inventory.occupants_by_type[b.attendee().agency_type()];
    if (b.scope() == v1::Booking::ANY_DATE) {
      b.clear_session();
      ++inventory.any_date_waiting;
    } else {
      ++inventory.waiting;
    }
    RETURN_IF_ERROR(tx.UpdateBooking(*it));
  }
  return absl::OkStatus();
}

absl::Status Waitlist::EndOffer(BookingTransaction& tx, StoredBooking& stored,
                                SessionInventory& inventory,
                                v1::Cancellation::Cause cause,
                                const Caller& caller) const {
  v1::Booking& b = stored.booking;
  EndBooking(stored, inventory, v1::Booking::CANCELLED, cause, "",
             context_.clock->Now());
  b.mutable_cancellation()->set_late(false);
  RETURN_IF_ERROR(tx.UpdateBooking(stored));
  RETURN_IF_ERROR(tx.AddEvent(OfferEndedEvent(caller, b, cause)));
  // The place passes on to the next in line, in this same transaction.
  RETURN_IF_ERROR(Promote(tx, inventory, caller));
  return internal::SaveCounts(tx, inventory);
}

absl::StatusOr<bool> Waitlist::ExpireOffer(const std::string& reference,
                                           const Caller& caller) const {
  SessionInventory inventory;
  bool ended = false;
  RETURN_IF_ERROR(context_.store->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        ended = false;
        ASSIGN_OR_RETURN(std::optional<StoredBooking> found,
                         tx.FindBooking(reference));
        if (!found || found->booking.state() != v1::Booking::OFFERED) {
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                         tx.LockInventory(found->booking.session()));
        if (!locked) return absl::OkStatus();
        inventory = *std::move(locked);
        // Decided under the lock: whoever comes second finds it ended.
        ASSIGN_OR_RETURN(found, tx.FindBooking(reference));
        if (found->booking.state() != v1::Booking::OFFERED ||
            FromProto(found->booking.offer().expire_time()) >
                context_.clock->Now()) {
          return absl::OkStatus();
        }
        ended = true;
        return EndOffer(tx, *found, inventory, v1::Cancellation::OFFER_EXPIRED,
                        caller);
      }));
  if (ended) context_.RefreshCache(inventory);
  return ended;
}

absl::StatusOr<int> Waitlist::ExpireDueOffers(absl::Duration lease) const {
  Caller caller;
  caller.kind = Caller::Kind::kService;
  std::vector<std::string> due;
  RETURN_IF_ERROR(context_.store->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(due,
                         tx.ClaimDueOffers(context_.clock->Now(), lease, 100));
        return absl::OkStatus();
      }));
  int expired = 0;
  for (const std::string& reference : due) {
    ASSIGN_OR_RETURN(bool ended, ExpireOffer(reference, caller));
    if (ended) ++expired;
  }
  return expired;
}

absl::StatusOr<int> Waitlist::ReleaseDueHolds() const {
  Caller caller;
  caller.kind = Caller::Kind::kService;
  std::vector<std::string> due;
  RETURN_IF_ERROR(context_.store->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(due, tx.DueHoldReleases(context_.clock->Now(), 100));
        return absl::OkStatus();
      }));
  for (const std::string& session : due) {
    SessionInventory inventory;
    RETURN_IF_ERROR(context_.store->Run(
        BookingStore::Mode::kWrite,
        [&](BookingTransaction& tx) -> absl::Status {
          ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                           tx.LockInventory(session));
          if (!locked) return absl::OkStatus();
          inventory = *std::move(locked);
          const absl::Time now = context_.clock->Now();
          // Places just released open to the waiting list.
          RETURN_IF_ERROR(Promote(tx, inventory, caller));
          RETURN_IF_ERROR(
              tx.SetReleaseDue(session, NextRelease(inventory.holds, now)));
          return tx.SaveCounts(inventory);
        }));
    context_.RefreshCache(inventory);
  }
  return static_cast<int>(due.size());
}

}  // namespace training::booking
