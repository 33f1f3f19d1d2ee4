#ifndef TRAINING_SERVICES_BOOKING_BOOKINGS_H_
#define TRAINING_SERVICES_BOOKING_BOOKINGS_H_

// The booking service's operations, free of gRPC, in one place for the
// handler and the tests. Each operation lives in its own room and this
// class only wires them together:
//
//   create_booking.h    booking a session's place, decided in batches
//   any_date.h          entries for any date of a course
//   booking_changes.h   cancel, leave, substitute, accept, decline
//   waitlist.h          promotion, offers, expiry, hold release
//   catalogue_events.h  what the catalogue's announcements change
//   personal_data.h     erasure and the housekeeping that forgets
//   booking_queries.h   one booking, a page, availability
//   booking_view.h      the view of a booking, who may see it, its token
//   booking_events.h    the events each fact publishes
//
// Beside it: records.h (registers, reports, exports) and
// internal_lookups.h (what the other services ask).
//
// The rules they apply (who gets a place, who gets a freed one, what is
// late) are in domain.h; what they store, in store.h.
//
// Thread-safe.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/hmac_keys.h"
#include "common/batching/group_commit.h"
#include "common/time/clock.h"
#include "services/booking/any_date.h"
#include "services/booking/availability_cache.h"
#include "services/booking/booking_changes.h"
#include "services/booking/booking_context.h"
#include "services/booking/booking_queries.h"
#include "services/booking/booking_view.h"
#include "services/booking/caller.h"
#include "services/booking/catalogue_events.h"
#include "services/booking/create_booking.h"
#include "services/booking/manage_token.h"
#include "services/booking/personal_data.h"
#include "services/booking/session_learner.h"
#include "services/booking/store.h"
#include "services/booking/waitlist.h"
#include "training/booking/v1/booking_service.pb.h"

namespace training::booking {

// The keys a Bookings signs with.
struct BookingKeys {
  const ManageTokens* tokens;
  // The suite's shared key for hashes of erased addresses (address_hash.h).
  const auth::HmacKeys* addresses;
};

class Bookings {
 public:
  // Nothing is owned; everything must outlive this. `cache` may be null
  // (availability then always comes from the database).
  // Bookings for one session are decided in batches
  // (common/batching/group_commit.h); `options` bounds the batch size and the
  // requests waiting. `offload` runs work that may block (SQL, the catalogue)
  // away from CreateBookingAsync's caller; null: on the caller's thread. When
  // it refuses (the pool is full), the request is answered RESOURCE_EXHAUSTED
  // with a retry hint: blocking work never runs on the caller's thread.
  Bookings(BookingStore* store, const Clock* clock, BookingKeys keys,
           SessionDirectory* directory, AvailabilityCache* cache,
           batching::GroupCommitOptions options = {},
           Offload offload = nullptr);

  absl::StatusOr<v1::Booking> CreateBooking(const Caller& caller,
                                            const v1::CreateBookingRequest& r);
  // The same, answering through `done` (called once, on this thread or the
  // one that commits the request's batch); `r` must stay alive until then.
  // Given `offload`, it never blocks: fit for gRPC's own threads.
  void CreateBookingAsync(
      const Caller& caller, const v1::CreateBookingRequest& r,
      std::function<void(absl::StatusOr<v1::Booking>)> done) {
    creation_.CreateAsync(caller, r, std::move(done));
  }
  absl::StatusOr<v1::Booking> GetBooking(const Caller& caller,
                                         const v1::GetBookingRequest& r) {
    return queries_.Get(caller, r);
  }
  absl::StatusOr<v1::ListBookingsResponse> ListBookings(
      const Caller& caller, const v1::ListBookingsRequest& r) {
    return queries_.List(caller, r);
  }
  absl::StatusOr<v1::Booking> CancelBooking(const Caller& caller,
                                            const v1::CancelBookingRequest& r) {
    return changes_.Cancel(caller, r);
  }
  absl::StatusOr<v1::Booking> SubstituteAttendee(
      const Caller& caller, const v1::SubstituteAttendeeRequest& r) {
    return changes_.Substitute(caller, r);
  }
  absl::StatusOr<v1::Booking> LeaveWaitlist(const Caller& caller,
                                            const v1::LeaveWaitlistRequest& r) {
    return changes_.LeaveWaitlist(caller, r);
  }
  absl::StatusOr<v1::Booking> AcceptOffer(const Caller& caller,
                                          const v1::AcceptOfferRequest& r) {
    return changes_.AcceptOffer(caller, r);
  }
  absl::StatusOr<v1::Booking> DeclineOffer(const Caller& caller,
                                           const v1::DeclineOfferRequest& r) {
    return changes_.DeclineOffer(caller, r);
  }
  absl::StatusOr<v1::BatchGetAvailabilityResponse> BatchGetAvailability(
      const Caller& caller, const v1::BatchGetAvailabilityRequest& r) {
    return queries_.Availability(caller, r);
  }
  // The same, answered at once from memory when it can be: never blocks
  // (given `offload`), fit for gRPC's own threads.
  void BatchGetAvailabilityAsync(
      const Caller& caller, const v1::BatchGetAvailabilityRequest& r,
      std::function<void(absl::StatusOr<v1::BatchGetAvailabilityResponse>)>
          done) {
    queries_.AvailabilityAsync(caller, r, std::move(done));
  }
  absl::StatusOr<v1::ErasePersonalDataResponse> ErasePersonalData(
      const Caller& caller, const v1::ErasePersonalDataRequest& r) {
    return personal_data_.Erase(caller, r);
  }

  // The one view of a booking (records.h uses it for exports).
  const BookingViews& views() const { return views_; }
  using TokenInView = ::training::booking::TokenInView;
  static constexpr absl::Duration kSubstitutionRetryWindow =
      BookingViews::kSubstitutionRetryWindow;

  // Booking requests waiting for their batch, over every session.
  size_t PendingBookings() const { return creation_.pending(); }

  // Called inside each booking batch's transaction, before it commits, with
  // the batch's request ids: tests hold a session's transaction open here,
  // or fail the batch by returning an error.
  using BatchHook = BookingCreation::BatchHook;
  void SetBatchHookForTest(BatchHook hook) {
    creation_.SetBatchHookForTest(std::move(hook));
  }

  // Replaces where new references' random bytes come from (to make them
  // clash). Call before any booking is made.
  void SetRandomBytesForTest(RandomBytes random_bytes) {
    context_.random_bytes = std::move(random_bytes);
  }

  // Due work and housekeeping (Maintenance runs them): see waitlist.h and
  // personal_data.h.
  absl::StatusOr<int> ExpireDueOffers(absl::Duration lease) {
    return waitlist_.ExpireDueOffers(lease);
  }
  absl::StatusOr<int> ReleaseDueHolds() { return waitlist_.ReleaseDueHolds(); }
  absl::StatusOr<int64_t> ForgetEndedContacts() {
    return personal_data_.ForgetEndedContacts();
  }
  absl::StatusOr<int64_t> ForgetAccessNeeds(absl::Duration retention) {
    return personal_data_.ForgetAccessNeeds(retention);
  }

  // Applies one catalogue event inside `tx` (the consumer's transaction),
  // adding the sessions it changed to `changed`; once `tx` has committed,
  // AfterCatalogueEvent(changed) refreshes their cached availability.
  absl::Status ApplyCatalogueEvent(BookingTransaction& tx,
                                   const training::events::v1::Event& event,
                                   std::vector<SessionInventory>& changed) {
    return catalogue_events_.Apply(tx, event, changed);
  }
  void AfterCatalogueEvent(const std::vector<SessionInventory>& changed) {
    catalogue_events_.AfterCommit(changed);
  }

 private:
  BookingViews views_;
  BookingContext context_;
  const Offload offload_;  // runs here when none was given
  // Sessions are stored before a booking for them is queued: the
  // committing thread never waits for the catalogue.
  SessionLearner learner_;
  Waitlist waitlist_;
  AnyDateEntries any_date_;
  BookingCreation creation_;
  BookingChanges changes_;
  BookingQueries queries_;
  CatalogueEvents catalogue_events_;
  PersonalData personal_data_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_BOOKINGS_H_
