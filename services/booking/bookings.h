#ifndef TRAINING_SERVICES_BOOKING_BOOKINGS_H_
#define TRAINING_SERVICES_BOOKING_BOOKINGS_H_

// The booking service's operations, free of gRPC: each validates its
// request, runs in one store transaction that locks the session's inventory
// row before deciding, writes its events to the outbox in that transaction,
// and only after the commit refreshes the availability cache. The handler
// maps callers and statuses; catalogue events arrive through
// ApplyCatalogueEvent inside the consumer's transaction.
//
// Thread-safe.

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/hmac_keys.h"
#include "common/time/clock.h"
#include "services/booking/availability_cache.h"
#include "services/booking/caller.h"
#include "services/booking/group_commit.h"
#include "services/booking/manage_token.h"
#include "services/booking/session_learner.h"
#include "services/booking/store.h"
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
  // Bookings for one session are decided in batches (group_commit.h);
  // `options` bounds the batch size and the requests waiting.
  // `offload` runs work that may block (SQL, the catalogue) away from
  // CreateBookingAsync's caller; null: on the caller's thread. When it
  // refuses (the pool is full), the request is answered RESOURCE_EXHAUSTED
  // with a retry hint: blocking work never runs on the caller's thread.
  Bookings(BookingStore* store, const Clock* clock, BookingKeys keys,
           SessionDirectory* directory, AvailabilityCache* cache,
           GroupCommitOptions options = {}, Offload offload = nullptr);

  absl::StatusOr<v1::Booking> CreateBooking(const Caller& caller,
                                            const v1::CreateBookingRequest& r);
  // The same, answering through `done` (called once, on this thread or the
  // one that commits the request's batch); `r` must stay alive until then.
  // Given `offload`, it never blocks: fit for gRPC's own threads.
  void CreateBookingAsync(
      const Caller& caller, const v1::CreateBookingRequest& r,
      std::function<void(absl::StatusOr<v1::Booking>)> done);
  absl::StatusOr<v1::Booking> GetBooking(const Caller& caller,
                                         const v1::GetBookingRequest& r);
  absl::StatusOr<v1::ListBookingsResponse> ListBookings(
      const Caller& caller, const v1::ListBookingsRequest& r);
  absl::StatusOr<v1::Booking> CancelBooking(const Caller& caller,
                                            const v1::CancelBookingRequest& r);
  absl::StatusOr<v1::Booking> SubstituteAttendee(
      const Caller& caller, const v1::SubstituteAttendeeRequest& r);
  absl::StatusOr<v1::Booking> LeaveWaitlist(const Caller& caller,
                                            const v1::LeaveWaitlistRequest& r);
  // Accepts an open offer: CONFIRMED. FAILED_PRECONDITION OFFER_EXPIRED
  // once its time has passed, NO_OFFER when there is none.
  absl::StatusOr<v1::Booking> AcceptOffer(const Caller& caller,
                                          const v1::AcceptOfferRequest& r);
  // Declines an open offer; the place passes on in the same transaction.
  absl::StatusOr<v1::Booking> DeclineOffer(const Caller& caller,
                                           const v1::DeclineOfferRequest& r);
  absl::StatusOr<v1::BatchGetAvailabilityResponse> BatchGetAvailability(
      const Caller& caller, const v1::BatchGetAvailabilityRequest& r);

  // Which manage token a view carries.
  enum class TokenInView {
    kNone,
    // The token CreateBooking handed out, for its replays: only while the
    // booking is at token version 1, so that a replay after a substitution
    // never hands the colleague's token to whoever made the booking.
    kOriginal,
    // The token of the booking's current version (a substitution's answer).
    kCurrent,
  };
  // The booking as `caller` may see it: position, substitutions, access
  // needs for admins only, the token as `token` says.
  absl::StatusOr<v1::Booking> View(BookingTransaction& tx,
                                   const StoredBooking& stored,
                                   const Caller& caller, TokenInView token);

  // Erases everything held about an address: bookings of sessions not yet
  // started are cancelled (their places go to the waiting list), then every
  // booking loses its personal fields (organisation and agency type stay,
  // for the reports) and replaced-attendee contacts are deleted; one
  // PersonalDataErased event. Idempotent.
  absl::StatusOr<v1::ErasePersonalDataResponse> ErasePersonalData(
      const Caller& caller, const v1::ErasePersonalDataRequest& r);
  // How long after a substitution its caller may retry it with the old
  // token (an answer lost on the way back).
  static constexpr absl::Duration kSubstitutionRetryWindow = absl::Minutes(10);
  // What an erasure locks (defined in erasure.cc).
  struct ErasureLocks;

  // Booking requests waiting for their batch, over every session.
  size_t PendingBookings() const { return queue_.pending(); }

  // Called inside each booking batch's transaction, before it commits, with
  // the batch's request ids: tests hold a session's transaction open here,
  // or fail the batch by returning an error.
  using BatchHook =
      std::function<absl::Status(const std::vector<std::string>& request_ids)>;
  void SetBatchHookForTest(BatchHook hook) {
    batch_hook_for_test_ = std::move(hook);
  }

  // Due work, run every few seconds by every replica: offers past their
  // expiry (claimed for `lease`, then decided under the session's lock,
  // so each expires exactly once) pass on to the next in line; holds past
  // their release open their places to the waiting list. Return how many.
  absl::StatusOr<int> ExpireDueOffers(absl::Duration lease);
  absl::StatusOr<int> ReleaseDueHolds();

  // Housekeeping run every few minutes: forgets the contacts of replaced
  // attendees once their booking's session has ended. Returns how many.
  absl::StatusOr<int64_t> ForgetEndedContacts();
  // Housekeeping too: deletes access needs of bookings whose session ended
  // more than `retention` ago. Returns how many.
  absl::StatusOr<int64_t> ForgetAccessNeeds(absl::Duration retention);

  // Applies one catalogue event inside `tx` (the consumer's transaction):
  // course rules, session facts, capacity changes (promoting whoever now
  // fits) and cancelled sessions (cancelling every booking). Events about
  // sessions booking has never heard of change nothing: it asks the
  // catalogue when one is first booked.
  absl::Status ApplyCatalogueEvent(BookingTransaction& tx,
                                   const training::events::v1::Event& event);

 private:
  // One CreateBooking waiting for its batch, validated.
  struct PendingBooking {
    Caller caller;
    const v1::CreateBookingRequest* request;
    std::string fingerprint;
    std::string email_key;
  };
  // What a batch decided for one request.
  struct BookingResult {
    v1::Booking view;  // with position, and token unless token_kid is set
    bool unknown_session = false;
    // The token of a booking just made is issued (an HMAC) when its caller
    // is answered, off the committing thread; the key to issue it with.
    std::string token_kid;
  };

  // Decides one batch of bookings for `session` in one transaction: one
  // lock, set-based reads and writes, one commit. When the transaction
  // fails for a reason a retry may cure (the database unreachable, a
  // conflict), every request gets UNAVAILABLE with a retry hint; when a
  // value was refused (INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE)
  // the batch is decided again in halves, so that the request whose write
  // fails gets that failure alone; any other failure fails the batch.
  std::vector<absl::StatusOr<BookingResult>> DecideBookings(
      const std::string& session,
      const std::vector<const PendingBooking*>& batch);
  std::vector<absl::StatusOr<BookingResult>> DecideInHalves(
      const std::string& session,
      const std::vector<const PendingBooking*>& batch);

  // NOT_FOUND unless `caller` is an admin or holds the token of the
  // booking's current version: an unknown reference and a wrong token look
  // the same.
  absl::Status Authorize(const Caller& caller,
                         const StoredBooking& stored) const;
  // Whether a token holder refused by Authorize is retrying the substitution
  // that re-keyed the booking: the token of the version before, the same
  // request id and the same request, within kSubstitutionRetryWindow and
  // with the booking unchanged since. They get their answer (the new token)
  // again; anyone else, NOT_FOUND.
  absl::StatusOr<bool> RetriesItsSubstitution(
      BookingTransaction& tx, const StoredBooking& stored, const Caller& caller,
      const v1::SubstituteAttendeeRequest& r,
      const std::string& fingerprint) const;
  // Gives free places to the head of the session's waiting list (its own
  // entries and its course's any-date ones, first come first served, each
  // only where a place is free for their agency type): confirmed at once,
  // or offered for a hold when the course says so.
  absl::Status Promote(BookingTransaction& tx, SessionInventory& inventory,
                       const Caller& caller);
  // After a capacity cut, the newest offers that no longer fit wait again.
  absl::Status WithdrawOffersBeyondCapacity(BookingTransaction& tx,
                                            SessionInventory& inventory);
  // Ends an open offer (declined or expired) and passes the place on.
  absl::Status EndOffer(BookingTransaction& tx, StoredBooking& stored,
                        SessionInventory& inventory,
                        v1::Cancellation::Cause cause, const Caller& caller);
  // An entry for any date of a course: the earliest matching date with a
  // place free for the person, else the course's any-date list.
  absl::StatusOr<v1::Booking> CreateAnyDate(const Caller& caller,
                                            const v1::CreateBookingRequest& r);
  // Who may change a booking, decided on the booking as read.
  using ChangeAccess =
      std::function<absl::Status(BookingTransaction&, const StoredBooking&)>;
  // Runs a change of one existing booking under its session's lock: finds
  // it, checks the caller (with `access`, or Authorize when none), locks the
  // inventory, reads it again and checks again, and hands both to `change`.
  // Refreshes the cache after the commit; the answer carries `token`.
  absl::StatusOr<v1::Booking> ChangeBooking(
      const Caller& caller, const std::string& name,
      const std::function<absl::Status(BookingTransaction&, StoredBooking&,
                                       SessionInventory&)>& change,
      TokenInView token = TokenInView::kNone, ChangeAccess access = nullptr);
  // Erasure's work under its locks (erasure.cc).
  absl::Status EraseUnderLocks(BookingTransaction& tx, const Caller& caller,
                               const std::string& email_key,
                               std::vector<StoredBooking>& found,
                               ErasureLocks& locks,
                               std::set<std::string>& promote,
                               v1::ErasePersonalDataResponse& response,
                               const std::string& request_id,
                               const std::string& fingerprint, absl::Time now);
  // Queues a valid request of a known session for its batch.
  void QueueBooking(const Caller& caller, const v1::CreateBookingRequest& r,
                    std::function<void(absl::StatusOr<v1::Booking>)> done);
  void RefreshCache(const SessionInventory& inventory);

  BookingStore* store_;
  const Clock* clock_;
  const ManageTokens* tokens_;
  const auth::HmacKeys* address_keys_;
  AvailabilityCache* cache_;
  const Offload offload_;  // runs here when none was given
  BatchHook batch_hook_for_test_;
  // Sessions are stored before a booking for them is queued: the
  // committing thread never waits for the catalogue.
  SessionLearner learner_;
  GroupCommitQueue<PendingBooking, BookingResult> queue_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_BOOKINGS_H_
