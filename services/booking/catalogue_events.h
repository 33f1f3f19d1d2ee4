#ifndef TRAINING_SERVICES_BOOKING_CATALOGUE_EVENTS_H_
#define TRAINING_SERVICES_BOOKING_CATALOGUE_EVENTS_H_

// What booking does when the catalogue announces a change: keeps course
// rules and session facts, promotes whoever fits after a capacity rise or
// a new date, withdraws offers beyond a capacity cut, and cancels every
// booking of a cancelled session. Runs inside the event consumer's
// transaction; the sessions it changed are written to the availability
// cache only after that transaction commits (AfterCommit), with their new
// version, so that a read racing the change cannot put the old figures
// back (the cache refuses an older version over a newer one).
//
// Thread-safe.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/booking/booking_context.h"
#include "services/booking/waitlist.h"
#include "training/events/v1/events.pb.h"

namespace training::booking {

class CatalogueEvents {
 public:
  // Neither is owned; both must outlive this.
  CatalogueEvents(const BookingContext& context, const Waitlist* waitlist)
      : context_(context), waitlist_(waitlist) {}

  // Applies one catalogue event inside `tx`. Events about sessions booking
  // has never heard of change nothing: it asks the catalogue when one is
  // first booked. Adds to `changed` the sessions whose counts or facts it
  // changed, as saved.
  absl::Status Apply(BookingTransaction& tx,
                     const training::events::v1::Event& event,
                     std::vector<SessionInventory>& changed) const;

  // Writes the availability of `changed` sessions to the cache: call once
  // the transaction Apply ran in has committed.
  void AfterCommit(const std::vector<SessionInventory>& changed) const;

 private:
  absl::Status SessionScheduled(BookingTransaction& tx,
                                const training::events::v1::Event& event,
                                const Caller& caller,
                                std::vector<SessionInventory>& changed) const;
  absl::Status SessionChanged(BookingTransaction& tx,
                              const training::events::v1::Event& event,
                              const Caller& caller,
                              std::vector<SessionInventory>& changed) const;
  absl::Status SessionCancelled(BookingTransaction& tx,
                                const training::events::v1::Event& event,
                                const Caller& caller,
                                std::vector<SessionInventory>& changed) const;

  const BookingContext& context_;
  const Waitlist* waitlist_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_CATALOGUE_EVENTS_H_
