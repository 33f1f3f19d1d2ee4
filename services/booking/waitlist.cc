#include "services/booking/waitlist.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/booking/booking_events.h"
#include "services/booking/domain.h"
#include "services/booking/domain_proto.h"

namespace training::booking {

using internal::EndBooking;

absl::Status Waitlist::Promote(BookingTransaction& tx,
                               SessionInventory& inventory,
                               const Caller& caller) const {
  const absl::Time now = context_.clock->Now();
  if (inventory.session.empty() || !TakesPromotions(inventory, now) ||
      FreePlaces(inventory) == 0) {
    return absl::OkStatus();
  }
  // After the session's row: any-date entries are shared by the course.
  RETURN_IF_ERROR(tx.LockCourse(inventory.course));
  // The queue is read a page at a time while a place is free, and only
  // entries of the agency types that could take one (TypesWithPlaces):
  // every entry read gets a place but an any-date entry whose address is
  // on the session already. So the scan reads about as many entries as it
  // places, and ends when the places are given or the waiting list is.
  std::vector<Event> events;
  int64_t after_seq = 0;
  while (FreePlaces(inventory) > 0) {
    const std::optional<std::set<AgencyType>> types =
        TypesWithPlaces(inventory, now);
    if (types && types->empty()) break;
    ASSIGN_OR_RETURN(
        std::vector<StoredBooking> page,
        tx.HeadOfWaitlist(inventory, kPromotionPage, after_seq, types));
    if (page.empty()) break;
    std::vector<SeatHolder> queue;
    std::vector<std::string> any_date_keys;
    for (const StoredBooking& entry : page) {
      queue.push_back(
          SeatOf(entry.booking, EmailKey(entry.booking.attendee().email())));
      if (queue.back().any_date)
        any_date_keys.push_back(queue.back().email_key);
    }
    ASSIGN_OR_RETURN(std::set<std::string> active,
                     tx.ActiveAddresses(inventory.session, any_date_keys));
    for (const Promotion& promotion :
         ChoosePromotions(inventory, queue, std::move(active), now)) {
      StoredBooking& next = page[promotion.entry];
      events.push_back(Promoted(next, promotion, inventory, caller, now));
      RETURN_IF_ERROR(tx.UpdateBooking(next));
    }
    if (page.size() < static_cast<size_t>(kPromotionPage)) break;
    after_seq = page.back().seq;
  }
  return tx.AddEvents(std::move(events));
}

Event Waitlist::Promoted(StoredBooking& next, const Promotion& promotion,
                         const SessionInventory& inventory,
                         const Caller& caller, absl::Time now) {
  v1::Booking& b = next.booking;
  b.set_session(inventory.session);  // an any-date entry's place
  *b.mutable_update_time() = ToProto(now);
  if (promotion.state == BookingState::kOffered) {
    b.set_state(v1::Booking::OFFERED);
    v1::Offer& offer = *b.mutable_offer();
    offer.set_session(inventory.session);
    *offer.mutable_offer_time() = ToProto(now);
    *offer.mutable_expire_time() = ToProto(promotion.offer_expiry);
    return OfferedEvent(caller, b);
  }
  b.set_state(v1::Booking::CONFIRMED);
  *b.mutable_confirm_time() = ToProto(now);
  return PromotedEvent(caller, b,
                       ::training::events::v1::BookingPromoted::AUTO_CONFIRM);
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
  std::vector<SeatHolder> offers;
  for (const StoredBooking& stored : offered) {
    offers.push_back(SeatOf(stored.booking));
  }
  const absl::Time now = context_.clock->Now();
  for (size_t i : OffersToWithdraw(inventory, offers)) {
    v1::Booking& b = offered[i].booking;
    b.set_state(v1::Booking::WAITLISTED);
    b.clear_offer();
    *b.mutable_update_time() = ToProto(now);
    if (b.scope() == v1::Booking::ANY_DATE) b.clear_session();
    RETURN_IF_ERROR(tx.UpdateBooking(offered[i]));
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
