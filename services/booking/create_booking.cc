#include "services/booking/create_booking.h"

#include <algorithm>
#include <map>
#include <memory>

#include "absl/synchronization/notification.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/requests/requests.h"
#include "common/runtime/crash_point.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/text/text.h"
#include "common/time/deadline.h"
#include "common/time/proto_time.h"
#include "services/booking/booking_events.h"
#include "services/booking/domain.h"
#include "services/booking/domain_proto.h"

namespace training::booking {

namespace {

metrics::HistogramFamily& BatchSizes() {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_booking_batch_size", "Booking requests decided per commit.", {},
      {1, 2, 4, 8, 16, 32, 64, 128, 256, 512});
  return family;
}

prometheus::Counter& BatchSplits() {
  static auto& counter =
      metrics::DefaultRegistry()
          .Counter("training_booking_batch_splits_total",
                   "Failed booking batches decided again in halves, to "
                   "isolate a request whose write failed.",
                   {})
          .Child({});
  return counter;
}

metrics::HistogramFamily& BatchCommitSeconds() {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_booking_batch_commit_seconds",
      "Time to decide and commit one booking batch.", {});
  return family;
}

// Refusals name what is queued: "booking: too many waiting".
batching::GroupCommitOptions Named(batching::GroupCommitOptions options) {
  options.name = "booking";
  return options;
}

}  // namespace

struct BookingCreation::BatchOutcome {
  explicit BatchOutcome(size_t n)
      : refused(n), made(n), positions(n, 0), replays(n), same_as(n) {}

  std::vector<std::optional<absl::Status>> refused;
  std::vector<std::optional<StoredBooking>> made;
  std::vector<int> positions;
  std::vector<std::optional<v1::Booking>> replays;
  std::vector<std::optional<size_t>> same_as;  // a retry of an earlier one
  bool unknown_session = false;
  SessionInventory inventory;
  int placed = 0;
};

BookingCreation::BookingCreation(const BookingContext& context,
                                 SessionLearner* learner,
                                 const AnyDateEntries* any_date,
                                 batching::GroupCommitOptions options,
                                 Offload offload)
    : context_(context),
      learner_(learner),
      any_date_(any_date),
      offload_(std::move(offload)),
      queue_([this](const std::string& session,
                    const Batch& batch) { return Decide(session, batch); },
             Named(std::move(options)), offload_) {}

void BookingCreation::CreateAsync(
    const Caller& caller, const v1::CreateBookingRequest& r,
    std::function<void(absl::StatusOr<v1::Booking>)> done) {
  const v1::Booking& asked = r.booking();
  if (asked.scope() == v1::Booking::ANY_DATE) {
    // Not batched: it may touch every session of the course.
    internal::OffloadAsCaller<v1::Booking>(
        offload_, caller,
        [this, caller, &r] { return any_date_->Create(caller, r); },
        std::move(done));
    return;
  }
  std::vector<FieldViolation> violations;
  if (!text::IsUuid(r.request_id())) {
    violations.push_back({"request_id", "is required, as a UUID"});
  }
  if (!IsSessionName(asked.session())) {
    violations.push_back(
        {"booking.session", "must be courses/{course}/sessions/{session}"});
  }
  ValidateAttendee(asked.attendee(), "booking.attendee", violations);
  if (!violations.empty()) {
    done(InvalidArgumentError(std::move(violations)));
    return;
  }
  if (learner_->IsKnown(asked.session())) {
    Queue(caller, r, std::move(done));
    return;
  }
  learner_->WhenKnown(
      asked.session(), caller,
      [this, caller, &r, done = std::move(done)](absl::Status known) mutable {
        if (!known.ok()) {
          done(known);
          return;
        }
        Queue(caller, r, std::move(done));
      });
}

void BookingCreation::Queue(
    const Caller& caller, const v1::CreateBookingRequest& r,
    std::function<void(absl::StatusOr<v1::Booking>)> done) {
  const v1::Booking& asked = r.booking();
  auto pending = std::make_shared<PendingBooking>(
      PendingBooking{caller, &r, internal::Fingerprint(r),
                     EmailKey(asked.attendee().email())});
  queue_.Submit(asked.session(), *pending,
                [this, pending,
                 done = std::move(done)](absl::StatusOr<BookingResult> result) {
                  if (!result.ok()) {
                    done(result.status());
                  } else if (result->unknown_session) {
                    done(absl::UnavailableError(
                        "booking.session: the session is not known yet; "
                        "retry"));
                  } else {
                    if (!result->token_kid.empty()) {
                      result->view.set_manage_token(context_.views->FirstToken(
                          result->view.name(), result->token_kid));
                    }
                    done(std::move(result->view));
                  }
                });
}

batching::Decided<BookingCreation::BookingResult> BookingCreation::Decide(
    const std::string& session, const Batch& batch) {
  // The newest counts a commit of this batch (or of its halves) left.
  std::optional<SessionInventory> committed;
  batching::Decided<BookingResult> decided{
      DecideResults(session, batch, committed), nullptr};
  if (committed) {
    // By whoever answers the batch, just before: off the path from this
    // commit to the next batch when requests wait, and done by the time a
    // caller can read availability again.
    decided.before_answers = [this, inventory = *std::move(committed)] {
      context_.RefreshCache(inventory);
    };
  }
  return decided;
}

std::vector<absl::StatusOr<BookingCreation::BookingResult>>
BookingCreation::DecideResults(const std::string& session, const Batch& batch,
                               std::optional<SessionInventory>& committed) {
  const absl::Time started = absl::Now();
  const absl::Time now = context_.clock->Now();
  // The database is waited for as long as the most patient caller in the
  // batch waits, and no longer.
  absl::Time latest_deadline = absl::InfinitePast();
  for (const PendingBooking* p : batch) {
    latest_deadline = std::max(latest_deadline, p->caller.deadline);
  }
  ScopedDeadline deadline(latest_deadline);
  BatchOutcome outcome(batch.size());
  absl::Status status = context_.store->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        // Everything is decided again if the transaction is run again.
        outcome = BatchOutcome(batch.size());
        return DecideIn(tx, session, batch, now, outcome);
      });
  BatchSizes().Observe({}, static_cast<double>(batch.size()));
  BatchCommitSeconds().Observe({},
                               absl::ToDoubleSeconds(absl::Now() - started));
  if (!status.ok()) return Failed(session, batch, status, committed);
  if (outcome.placed > 0) {
    // A crash here (committed, not answered) is what idempotent retries
    // are for; the cache heals within its TTL.
    runtime::CrashPoint("booking.after_commit");
    if (!committed || committed->version < outcome.inventory.version) {
      committed = outcome.inventory;
    }
  }
  return Answers(batch, outcome);
}

absl::Status BookingCreation::DecideIn(BookingTransaction& tx,
                                       const std::string& session,
                                       const Batch& batch, absl::Time now,
                                       BatchOutcome& outcome) {
  // One round trip reads the request records, locks the session and reads
  // its counts and which addresses already hold a place.
  std::vector<std::string> ids;
  std::vector<std::string> keys;
  for (const PendingBooking* p : batch) {
    ids.push_back(p->request->request_id());
    keys.push_back(p->email_key);
  }
  ASSIGN_OR_RETURN(BatchReading reading,
                   tx.ReadForBatch(session, ids, keys, now));
  ASSIGN_OR_RETURN(std::vector<size_t> fresh,
                   MatchRequestRecords(tx, batch, reading.records, outcome));
  if (fresh.empty()) return absl::OkStatus();
  if (!reading.inventory) {
    outcome.unknown_session = true;
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(MakeBookings(tx, batch, fresh, reading, now, outcome));
  if (outcome.placed > 0 && batch_hook_for_test_) {
    return batch_hook_for_test_(ids);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<size_t>> BookingCreation::MatchRequestRecords(
    BookingTransaction& tx, const Batch& batch,
    const std::map<std::string, RequestRecord>& records,
    BatchOutcome& outcome) const {
  std::vector<size_t> fresh;
  std::map<std::string, size_t> first_of_id;
  for (size_t i = 0; i < batch.size(); ++i) {
    const PendingBooking& p = *batch[i];
    const std::string& id = p.request->request_id();
    // Recorded by an earlier batch, or asked earlier in this one.
    std::optional<RequestRecord> record;
    if (auto found = records.find(id); found != records.end()) {
      record = found->second;
    } else if (auto earlier = first_of_id.find(id);
               earlier != first_of_id.end()) {
      record = RequestRecord{batch[earlier->second]->fingerprint, ""};
      outcome.same_as[i] = earlier->second;
    }
    absl::StatusOr<const RequestRecord*> replayed =
        requests::Replayed(record, p.fingerprint);
    if (!replayed.ok()) {
      outcome.refused[i] = replayed.status();
    } else if (outcome.same_as[i]) {
      // Answered as the earlier one is.
    } else if (*replayed != nullptr) {
      ASSIGN_OR_RETURN(std::optional<StoredBooking> earlier,
                       tx.FindBooking((*replayed)->reference));
      if (!earlier) return internal::BookingNotFound();
      ASSIGN_OR_RETURN(
          outcome.replays[i],
          context_.views->View(tx, *earlier, p.caller, TokenInView::kOriginal));
    } else {
      first_of_id[id] = i;
      fresh.push_back(i);
    }
  }
  return fresh;
}

absl::Status BookingCreation::MakeBookings(BookingTransaction& tx,
                                           const Batch& batch,
                                           const std::vector<size_t>& fresh,
                                           BatchReading& reading,
                                           absl::Time now,
                                           BatchOutcome& outcome) {
  SessionInventory& inventory = outcome.inventory;
  inventory = *std::move(reading.inventory);
  std::vector<BookingAsk> asks;
  for (size_t i : fresh) {
    asks.push_back(
        {AgencyTypeOf(batch[i]->request->booking().attendee().agency_type()),
         batch[i]->email_key});
  }
  std::vector<absl::StatusOr<Placement>> decisions =
      DecideBatch(inventory, now, asks, std::move(reading.active_email_keys));
  std::vector<StoredBooking> rows;
  std::vector<size_t> row_of;
  std::vector<Event> events;
  std::vector<std::pair<std::string, RequestRecord>> records_made;
  ASSIGN_OR_RETURN(
      std::vector<std::string> references,
      NewReferences(inventory.session, fresh.size(), context_.random_bytes));
  for (size_t k = 0; k < fresh.size(); ++k) {
    const size_t i = fresh[k];
    if (!decisions[k].ok()) {
      outcome.refused[i] = decisions[k].status();
      continue;
    }
    const PendingBooking& p = *batch[i];
    StoredBooking stored;
    v1::Booking& b = stored.booking;
    b.set_reference(std::move(references[k]));
    b.set_name(BookingName(b.reference()));
    b.set_session(inventory.session);
    b.set_course(inventory.course);
    b.set_scope(v1::Booking::SESSION);
    *b.mutable_attendee() = p.request->booking().attendee();
    b.set_state(ProtoState(decisions[k]->state));
    if (p.caller.kind == Caller::Kind::kAgency) {
      b.set_booked_by_organisation(p.caller.organisation);
    }
    *b.mutable_create_time() = ToProto(now);
    *b.mutable_update_time() = ToProto(now);
    if (b.state() == v1::Booking::CONFIRMED) {
      *b.mutable_confirm_time() = ToProto(now);
    }
    stored.token_kid = context_.views->current_kid();
    outcome.positions[i] = decisions[k]->waitlist_position;
    events.push_back(b.state() == v1::Booking::CONFIRMED
                         ? ConfirmedEvent(p.caller, b)
                         : WaitlistedEvent(p.caller, b, outcome.positions[i]));
    records_made.push_back(
        {p.request->request_id(), {p.fingerprint, b.reference()}});
    rows.push_back(std::move(stored));
    row_of.push_back(i);
  }
  if (rows.empty()) return absl::OkStatus();
  absl::Status saved =
      tx.SaveBatch(rows, std::move(events), records_made,
                   reading.expired_request_ids, inventory, now);
  // A reference clash (30 random bits after the session's prefix) or a
  // concurrent use of one request id on another replica: decide the whole
  // batch again.
  if (absl::IsAlreadyExists(saved)) {
    return TransactionConflictError(
        "booking: reference clash or request id raced");
  }
  RETURN_IF_ERROR(saved);
  for (size_t k = 0; k < rows.size(); ++k) {
    outcome.made[row_of[k]] = std::move(rows[k]);
  }
  outcome.placed = static_cast<int>(rows.size());
  return absl::OkStatus();
}

std::vector<absl::StatusOr<BookingCreation::BookingResult>>
BookingCreation::Answers(const Batch& batch, BatchOutcome& outcome) const {
  std::vector<absl::StatusOr<BookingResult>> results;
  results.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    if (outcome.unknown_session) {
      results.push_back(BookingResult{v1::Booking(), true, ""});
    } else if (outcome.same_as[i] && !outcome.refused[i]) {
      // A retry of a request earlier in the same batch gets its answer.
      results.push_back(results[*outcome.same_as[i]]);
    } else if (outcome.refused[i]) {
      results.push_back(*outcome.refused[i]);
    } else if (outcome.replays[i]) {
      results.push_back(BookingResult{*outcome.replays[i], false, ""});
    } else if (outcome.made[i]) {
      v1::Booking view = std::move(outcome.made[i]->booking);
      view.set_waitlist_position(outcome.positions[i]);
      view.mutable_attendee()->clear_access_needs();
      if (batch[i]->caller.kind == Caller::Kind::kAdmin) {
        *view.mutable_attendee() = batch[i]->request->booking().attendee();
      }
      results.push_back(
          BookingResult{std::move(view), false, outcome.made[i]->token_kid});
    } else {
      results.push_back(absl::InternalError("booking: lost in its batch"));
    }
  }
  return results;
}

std::vector<absl::StatusOr<BookingCreation::BookingResult>>
BookingCreation::Failed(const std::string& session, const Batch& batch,
                        const absl::Status& status,
                        std::optional<SessionInventory>& committed) {
  const size_t n = batch.size();
  // The batch did not commit: nobody was booked, and a retry with the same
  // request id is safe.
  if (absl::IsUnavailable(status) || absl::IsAborted(status) ||
      absl::IsDeadlineExceeded(status) || absl::IsResourceExhausted(status)) {
    const absl::Status failed = WithRetryInfo(
        absl::UnavailableError(
            "booking: could not be saved; retry with the same request_id"),
        absl::Milliseconds(500));
    return std::vector<absl::StatusOr<BookingResult>>(n, failed);
  }
  // A value the database refuses (INVALID_ARGUMENT, or a constraint) fails
  // for one request's sake: it must not fail its neighbours. The halves are
  // decided apart, in arrival order, until the failure is alone. Anything
  // else (a bug) would fail every half: not split.
  const bool one_requests_fault = absl::IsInvalidArgument(status) ||
                                  absl::IsFailedPrecondition(status) ||
                                  absl::IsOutOfRange(status);
  if (one_requests_fault && n > 1) {
    return DecideInHalves(session, batch, committed);
  }
  log::Warning("booking.batch_not_saved",
               {{"error", log::ScrubbedText(status.message())},
                {"requests", static_cast<int64_t>(n)}});
  return std::vector<absl::StatusOr<BookingResult>>(n, status);
}

std::vector<absl::StatusOr<BookingCreation::BookingResult>>
BookingCreation::DecideInHalves(const std::string& session, const Batch& batch,
                                std::optional<SessionInventory>& committed) {
  BatchSplits().Increment();
  const size_t half = batch.size() / 2;
  std::vector<absl::StatusOr<BookingResult>> results = DecideResults(
      session, Batch(batch.begin(), batch.begin() + half), committed);
  for (auto& result : DecideResults(
           session, Batch(batch.begin() + half, batch.end()), committed)) {
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace training::booking
