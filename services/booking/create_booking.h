#ifndef TRAINING_SERVICES_BOOKING_CREATE_BOOKING_H_
#define TRAINING_SERVICES_BOOKING_CREATE_BOOKING_H_

// Booking a place on one session: the request is validated, its session
// made known (asked of the catalogue once), and queued for its session's
// next batch (common/batching/group_commit.h). A batch is decided in one
// transaction: one lock on the session, one read of everything it needs,
// DecideBatch, one write; the session's availability is written to the
// cache by whoever answers the batch, just before answering: off the path
// from one commit to the next batch while requests wait. Entries for any
// date of a course go to AnyDateEntries instead.
//
// Thread-safe.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/batching/group_commit.h"
#include "services/booking/any_date.h"
#include "services/booking/booking_context.h"
#include "services/booking/session_learner.h"
#include "training/booking/v1/booking_service.pb.h"

namespace training::booking {

class BookingCreation {
 public:
  // Nothing is owned; everything must outlive this. `offload` runs work
  // that may block away from CreateAsync's caller; when it refuses (the
  // pool is full), the request is answered RESOURCE_EXHAUSTED with a retry
  // hint.
  BookingCreation(const BookingContext& context, SessionLearner* learner,
                  const AnyDateEntries* any_date,
                  batching::GroupCommitOptions options, Offload offload);

  // Answers through `done` (called once, on this thread or the one that
  // commits the request's batch); `r` must stay alive until then. Never
  // blocks: fit for gRPC's own threads.
  void CreateAsync(const Caller& caller, const v1::CreateBookingRequest& r,
                   std::function<void(absl::StatusOr<v1::Booking>)> done);

  // Booking requests waiting for their batch, over every session.
  size_t pending() const { return queue_.pending(); }

  // Called inside each booking batch's transaction, before it commits, with
  // the batch's request ids.
  using BatchHook =
      std::function<absl::Status(const std::vector<std::string>& request_ids)>;
  void SetBatchHookForTest(BatchHook hook) {
    batch_hook_for_test_ = std::move(hook);
  }

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
  using Batch = std::vector<const PendingBooking*>;
  // What deciding a batch found, request by request (by batch position).
  struct BatchOutcome;

  // Queues a valid request of a known session for its batch.
  void Queue(const Caller& caller, const v1::CreateBookingRequest& r,
             std::function<void(absl::StatusOr<v1::Booking>)> done);

  // Decides one batch of bookings for `session` in one transaction: one
  // lock, set-based reads and writes, one commit. When the transaction
  // fails for a reason a retry may cure (the database unreachable, a
  // conflict), every request gets UNAVAILABLE with a retry hint; when a
  // value was refused (INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE)
  // the batch is decided again in halves, so that the request whose write
  // fails gets that failure alone; any other failure fails the batch.
  batching::Decided<BookingResult> Decide(const std::string& session,
                                          const Batch& batch);
  std::vector<absl::StatusOr<BookingResult>> DecideResults(
      const std::string& session, const Batch& batch,
      std::optional<SessionInventory>& committed);
  std::vector<absl::StatusOr<BookingResult>> DecideInHalves(
      const std::string& session, const Batch& batch,
      std::optional<SessionInventory>& committed);
  // The transaction's body.
  absl::Status DecideIn(BookingTransaction& tx, const std::string& session,
                        const Batch& batch, absl::Time now,
                        BatchOutcome& outcome);
  // Replays, reused ids and retries within the batch; returns the positions
  // of the requests to decide now.
  absl::StatusOr<std::vector<size_t>> MatchRequestRecords(
      BookingTransaction& tx, const Batch& batch,
      const std::map<std::string, RequestRecord>& records,
      BatchOutcome& outcome) const;
  // Makes the bookings DecideBatch placed, with their events and request
  // records, and saves them in one SaveBatch.
  absl::Status MakeBookings(BookingTransaction& tx, const Batch& batch,
                            const std::vector<size_t>& fresh,
                            BatchReading& reading, absl::Time now,
                            BatchOutcome& outcome);
  // Each request's answer from what the committed batch decided.
  std::vector<absl::StatusOr<BookingResult>> Answers(
      const Batch& batch, BatchOutcome& outcome) const;
  // Each request's answer when the batch did not commit.
  std::vector<absl::StatusOr<BookingResult>> Failed(
      const std::string& session, const Batch& batch,
      const absl::Status& status, std::optional<SessionInventory>& committed);

  const BookingContext& context_;
  SessionLearner* learner_;
  const AnyDateEntries* any_date_;
  const Offload offload_;
  BatchHook batch_hook_for_test_;
  batching::GroupCommitQueue<PendingBooking, BookingResult> queue_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_CREATE_BOOKING_H_
