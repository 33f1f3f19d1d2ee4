#ifndef TRAINING_SERVICES_BOOKING_WAITLIST_H_
#define TRAINING_SERVICES_BOOKING_WAITLIST_H_

// The waiting list in motion: freed places passed to the head of the list,
// offers made, withdrawn, ended and expired, held places released. Only
// orchestration lives here (what to read, lock and write, which events to
// add); who gets a place is decided by the rules in domain.h.
//
// Thread-safe.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/booking/booking_context.h"
#include "services/booking/booking_events.h"
#include "services/booking/domain.h"

namespace training::booking {

class Waitlist {
 public:
  // `context` must outlive this.
  explicit Waitlist(const BookingContext& context) : context_(context) {}

  // Gives free places to the head of the session's waiting list (its own
  // entries and its course's any-date ones, first come first served, each
  // only where a place is free for their agency type): confirmed at once,
  // or offered for a hold when the course says so. Inside `tx`, under the
  // session's lock; the caller saves the counts.
  absl::Status Promote(BookingTransaction& tx, SessionInventory& inventory,
                       const Caller& caller) const;

  // After a capacity cut, the newest offers that no longer fit wait again.
  absl::Status WithdrawOffersBeyondCapacity(BookingTransaction& tx,
                                            SessionInventory& inventory) const;

  // Ends an open offer (declined or expired, by `cause`), passes the place
  // on and saves the counts.
  absl::Status EndOffer(BookingTransaction& tx, StoredBooking& stored,
                        SessionInventory& inventory,
                        v1::Cancellation::Cause cause,
                        const Caller& caller) const;

  // Due work, run every few seconds by every replica: offers past their
  // expiry (claimed for `lease`, then decided under the session's lock,
  // so each expires exactly once) pass on to the next in line; holds past
  // their release open their places to the waiting list. Return how many.
  absl::StatusOr<int> ExpireDueOffers(absl::Duration lease) const;
  absl::StatusOr<int> ReleaseDueHolds() const;

 private:
  // Entries of the waiting list read at a time while places are free.
  static constexpr int kPromotionPage = 100;

  // Makes `next` what `promotion` decided (a place confirmed or offered on
  // `inventory`'s session) and returns its event.
  static Event Promoted(StoredBooking& next, const Promotion& promotion,
                        const SessionInventory& inventory, const Caller& caller,
                        absl::Time now);
  // Expires one claimed offer, if it is still open and due, under its
  // session's lock. Returns whether it did.
  absl::StatusOr<bool> ExpireOffer(const std::string& reference,
                                   const Caller& caller) const;

  const BookingContext& context_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_WAITLIST_H_
