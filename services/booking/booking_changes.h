#ifndef TRAINING_SERVICES_BOOKING_BOOKING_CHANGES_H_
#define TRAINING_SERVICES_BOOKING_BOOKING_CHANGES_H_

// Changes to one existing booking by whoever holds it (its manage token)
// or an admin: cancel, leave the waiting list, pass the place to a
// colleague, accept or decline an offer. Each runs under its session's
// lock (an any-date entry still waiting: its course's), so that the counts
// it changes and the place it frees are decided once.
//
// Thread-safe.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "services/booking/booking_context.h"
#include "services/booking/waitlist.h"
#include "training/booking/v1/booking_service.pb.h"

namespace training::booking {

class BookingChanges {
 public:
  // Neither is owned; both must outlive this.
  BookingChanges(const BookingContext& context, const Waitlist* waitlist)
      : context_(context), waitlist_(waitlist) {}

  // The freed place goes to the head of the waiting list in the same
  // transaction. ABORTED (ETAG_MISMATCH) when `etag` is stale.
  absl::StatusOr<v1::Booking> Cancel(const Caller& caller,
                                     const v1::CancelBookingRequest& r) const;
  // FAILED_PRECONDITION NOT_WAITLISTED unless the booking is waiting.
  absl::StatusOr<v1::Booking> LeaveWaitlist(
      const Caller& caller, const v1::LeaveWaitlistRequest& r) const;
  // Only a confirmed place; the colleague must be eligible and not already
  // booked. The old token stops opening the booking; the answer carries the
  // colleague's.
  absl::StatusOr<v1::Booking> Substitute(
      const Caller& caller, const v1::SubstituteAttendeeRequest& r) const;
  // Accepts an open offer: CONFIRMED. FAILED_PRECONDITION OFFER_EXPIRED
  // once its time has passed, NO_OFFER when there is none.
  absl::StatusOr<v1::Booking> AcceptOffer(
      const Caller& caller, const v1::AcceptOfferRequest& r) const;
  // Declines an open offer; the place passes on in the same transaction.
  absl::StatusOr<v1::Booking> DeclineOffer(
      const Caller& caller, const v1::DeclineOfferRequest& r) const;

 private:
  // Who may change a booking, decided on the booking as read.
  using Access =
      std::function<absl::Status(BookingTransaction&, const StoredBooking&)>;
  using Change = std::function<absl::Status(BookingTransaction&, StoredBooking&,
                                            SessionInventory&)>;

  // Runs a change of one existing booking under its session's lock: finds
  // it, checks the caller (with `access`, or Authorize when none), locks the
  // inventory, reads it again and checks again, and hands both to `change`.
  // Refreshes the cache after the commit; the answer carries `token`.
  absl::StatusOr<v1::Booking> ChangeBooking(
      const Caller& caller, const std::string& reference, const Change& change,
      TokenInView token = TokenInView::kNone, Access access = nullptr) const;
  // `change` done at most once per `request_id` (none: every time): a
  // retry of `request` changes nothing more; the id used for another
  // request is REQUEST_ID_REUSED.
  Change Once(const google::protobuf::Message& request,
              const std::string& request_id, Change change) const;
  // Finds the booking and locks what guards it; the booking as read under
  // the lock.
  absl::StatusOr<StoredBooking> FindAndLock(BookingTransaction& tx,
                                            const std::string& reference,
                                            const Access& access,
                                            SessionInventory& inventory) const;
  // The substitution's work, under the lock.
  absl::Status SubstituteLocked(BookingTransaction& tx, const Caller& caller,
                                const v1::SubstituteAttendeeRequest& r,
                                const std::string& fingerprint,
                                StoredBooking& stored,
                                const SessionInventory& inventory) const;

  const BookingContext& context_;
  const Waitlist* waitlist_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_BOOKING_CHANGES_H_
